using System.Collections.Immutable;
using System.Net;
using IstioPodNetwork.Capture.Rules;
using IstioPodNetwork.Capture.Spec;

namespace IstioPodNetwork.Capture.Tests.Infrastructure;

/// <summary>Pod capture inputs for tests.</summary>
public static class Pods
{
    public static PodCaptureInput Input(
        IEnumerable<KeyValuePair<string, string>>? annotations = null,
        long? runAsUser = null,
        long? runAsGroup = null,
        IEnumerable<KeyValuePair<string, string>>? environment = null,
        params string[] ips) =>
        new(
            "default",
            "app",
            "5d1c1e36-8f0b-4d7e-9d2f-2f1b5a0c9e11",
            (annotations ?? []).ToImmutableDictionary(),
            new ProxyContainer(runAsUser, runAsGroup, (environment ?? []).ToImmutableDictionary()),
            [.. (ips.Length == 0 ? ["10.1.1.2"] : ips).Select(IPAddress.Parse)]);

    public static CaptureSpec Spec(PodCaptureInput input, CaptureDefaults? defaults = null) =>
        CaptureSpecParser.Parse(input, defaults ?? CaptureDefaults.Istio) switch
        {
            CaptureParseResult.Accepted accepted => accepted.Spec,
            CaptureParseResult.Rejected rejected => throw new InvalidOperationException("rejected: " + rejected),
            _ => throw new InvalidOperationException("unknown result"),
        };

    public static RuleSet Rules(PodCaptureInput input) => RuleSetBuilder.Build(Spec(input));

    public static KeyValuePair<string, string> Annotation(string key, string value) => new(key, value);
}

/// <summary>The nine annotation cases of shared/conformance/istio-cni-goldens (README table), with their golden file.</summary>
public static class GoldenCases
{
    public static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "Goldens");

    public static TheoryData<string> Names => [.. All.Keys];

    public static IReadOnlyDictionary<string, (PodCaptureInput Input, string Golden)> All { get; } = new Dictionary<string, (PodCaptureInput, string)>
    {
        ["basic"] = (Pods.Input(), "basic"),
        ["include-exclude-ip"] = (Pods.Input([
            Pods.Annotation(CaptureAnnotations.IncludeOutboundIPRanges, "127.0.0.0/8"),
            Pods.Annotation(CaptureAnnotations.ExcludeOutboundIPRanges, "10.0.0.0/8")]), "include-exclude-ip"),
        ["include-exclude-ports"] = (Pods.Input([
            Pods.Annotation(CaptureAnnotations.IncludeInboundPorts, "1111,2222"),
            Pods.Annotation(CaptureAnnotations.ExcludeInboundPorts, "3333,4444"),
            Pods.Annotation(CaptureAnnotations.ExcludeOutboundPorts, "5555,6666")]), "include-exclude-ports"),
        ["tproxy"] = (Pods.Input([Pods.Annotation(CaptureAnnotations.InterceptionMode, "TPROXY")]), "tproxy"),
        ["dns"] = (Pods.Input(environment: [Pods.Annotation("ISTIO_META_DNS_CAPTURE", "true")]), "dns"),
        ["invalid-drop"] = (Pods.Input(environment: [Pods.Annotation("INVALID_DROP", "true")]), "invalid-drop"),
        ["custom-uid"] = (Pods.Input(runAsUser: 1000670000, runAsGroup: 1000670001), "custom-uid"),
        ["custom-uid-zero"] = (Pods.Input(runAsUser: 0), "basic"),
        ["custom-uid-tproxy"] = (Pods.Input([Pods.Annotation(CaptureAnnotations.InterceptionMode, "TPROXY")], runAsUser: 1000670000, runAsGroup: 1000670001), "custom-uid-tproxy"),
    };

    public static string GoldenText(string name) => File.ReadAllText(Path.Combine(Directory, All[name].Golden + ".txt.golden"));
}
