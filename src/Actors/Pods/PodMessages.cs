using System.Collections.Immutable;
using IstioPodNetwork.Kube;

namespace IstioPodNetwork.Actors.Pods;

/// <summary>A pod on this node was added or changed.</summary>
public sealed record PodObserved(PodSnapshot Pod);

/// <summary>A pod left this node (deleted, or no longer bound to it).</summary>
public sealed record PodRemoved(PodRef Pod);

/// <summary>The pod watch has listed everything: what the supervisor knows matches the API.</summary>
public sealed record PodsSynced(int PodCount);

/// <summary>The set of namespaces annotated to opt in, as last known.</summary>
public sealed record OptedInNamespacesChanged(ImmutableHashSet<string> Namespaces);

/// <summary>A pod actor asks for the newest version of its pod (after a restart its props are old).</summary>
public sealed record GetPodSnapshot(string Uid);

/// <summary>The pod opted out or became excluded: remove our rules and marks, then stop.</summary>
public sealed record StopCapture(string Reason);

/// <summary>An operator asks to program a pod again, even one that gave up.</summary>
public sealed record RetryPod(string Namespace, string Name);

public sealed record RetryPodResult(bool Accepted, string Message);

/// <summary>At most N pods are programmed at once per node: a pod actor asks before it spawns processes.</summary>
public sealed record RequestProgrammingSlot;

public sealed record ProgrammingSlotGranted;

public sealed record ReleaseProgrammingSlot;

/// <summary>A pod actor moved from one state to another (also the history entry kept for `ipnc pod describe`).</summary>
/// <param name="Failure">Which step failed, when <paramref name="To"/> is <see cref="PodState.Failed"/>.</param>
public sealed record PodStateChanged(PodRef Pod, PodState From, PodState To, DateTimeOffset At, string? Error, string? RulesInForce, PodFailure? Failure = null);

/// <summary>What a pod's failure was about, for counting failures by reason.</summary>
public enum PodFailure
{
    InvalidAnnotation,
    NetnsNotFound,
    NetnsLookupFailed,
    ApplyFailed,
    VerifyFailed,
    MarkFailed,
}

/// <summary>The pod is gone from this node; its status can be forgotten.</summary>
public sealed record PodForgotten(PodRef Pod);

/// <summary>The pod kept failing and its backoff supervisor gave up; it stays Failed until it changes or is retried.</summary>
public sealed record PodGaveUp(PodRef Pod, string Reason);
