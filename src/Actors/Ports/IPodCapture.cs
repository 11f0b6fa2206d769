using System.Collections.Immutable;
using IstioPodNetwork.Actors.Pods;
using IstioPodNetwork.Capture.Netns;

namespace IstioPodNetwork.Actors.Ports;

/// <summary>
/// What "capture this pod's traffic" means to a <see cref="PodActor"/>: plan the
/// rules from the pod, find its network namespace, apply, verify and remove.
/// The real implementation sits on src/Capture; specs substitute any step.
/// </summary>
public interface IPodCapture
{
    /// <summary>Pure: the rules this version of the pod needs, or why its annotations cannot be used.</summary>
    CapturePlanning Plan(PodSnapshot pod);

    Task<NetnsLookup> LocateAsync(PodSnapshot pod, CancellationToken cancellation);

    Task<CaptureStep> ApplyAsync(NetnsLookup.Found netns, CapturePlan plan, CancellationToken cancellation);

    Task<CaptureStep> VerifyAsync(NetnsLookup.Found netns, CapturePlan plan, CancellationToken cancellation);

    Task<CaptureStep> RemoveAsync(NetnsLookup.Found netns, CancellationToken cancellation);
}

/// <summary>The rules for one pod. Equal fingerprints mean equal rules.</summary>
public abstract record CapturePlan(string Fingerprint, string RulesText);

public abstract record CapturePlanning
{
    private CapturePlanning()
    {
    }

    public sealed record Planned(CapturePlan Plan) : CapturePlanning;

    /// <summary>Each problem names the annotation, the value and what was expected.</summary>
    public sealed record Invalid(ImmutableArray<string> Problems) : CapturePlanning;
}

/// <summary>How an apply, verify or remove ended; <paramref name="Detail"/> is for logs and history.</summary>
public sealed record CaptureStep(bool Succeeded, string Detail)
{
    public static CaptureStep Success(string detail) => new(true, detail);

    public static CaptureStep Failure(string detail) => new(false, detail);
}
