using System.Collections.Immutable;

namespace IstioPodNetwork.Capture.Spec;

/// <summary>One unusable input: which annotation (or istio-proxy setting), its value, and what was expected.</summary>
public sealed record AnnotationError(string Annotation, string Value, string Expected)
{
    /// <summary>One line: <c>annotation traffic.sidecar.istio.io/includeInboundPorts: "80,x" is not a comma-separated list of ports (0-65535)</c>.</summary>
    public override string ToString() =>
        (Annotation.Contains('/', StringComparison.Ordinal) ? "annotation " : string.Empty) + $"{Annotation}: \"{Value}\" is not {Expected}";
}

/// <summary>The outcome of parsing a pod's capture inputs: a spec, or every error found.</summary>
public abstract record CaptureParseResult
{
    private CaptureParseResult()
    {
    }

    public sealed record Accepted(CaptureSpec Spec) : CaptureParseResult;

    public sealed record Rejected(ImmutableArray<AnnotationError> Errors) : CaptureParseResult
    {
        public override string ToString() => string.Join(Environment.NewLine, Errors);
    }
}
