using System.Collections.Immutable;
using System.Net;
using IstioPodNetwork.Capture.Spec;
using IstioPodNetwork.Kube;
using IstioPodNetwork.Kube.Models;

namespace IstioPodNetwork.Actors.Pods;

/// <summary>
/// One version of a pod as the agent saw it: what the agent decides on, read once from the
/// <see cref="Pod"/> of a watch event. Immutable, so it can travel between actors; it keeps none of
/// the pod object itself, which actors would otherwise hold on to for as long as they live (the first
/// version seen stays in a backoff supervisor's props: per pod, one more full copy of its spec and status).
/// </summary>
public sealed record PodSnapshot
{
    private const string DeployerPodAnnotation = "openshift.io/deployer-pod-for.name";
    private const string BuildPodAnnotation = "openshift.io/build.name";

    public PodSnapshot(Pod pod)
    {
        Ref = RefOf(pod);
        ResourceVersion = pod.Metadata.ResourceVersion ?? string.Empty;
        Annotations = pod.Metadata.Annotations?.ToImmutableDictionary(StringComparer.Ordinal) ?? ImmutableDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal);
        Phase = pod.Status?.Phase ?? "Pending";
        IsHostNetwork = pod.Spec?.HostNetwork == true;
        IsBeingDeleted = pod.Metadata.DeletionTimestamp is not null;
        CaptureInput = PodCaptureInputs.From(pod);
        HasInitializedConditionTrue = pod.Status?.Conditions?.Any(c => c.Type == PodMarkers.InitializedCondition && c.Status == "True") == true;
    }

    public PodRef Ref { get; }

    /// <summary>Which pod <paramref name="pod"/> is (all a removal needs).</summary>
    public static PodRef RefOf(Pod pod) => new(pod.Metadata.Namespace ?? "default", pod.Metadata.Name ?? string.Empty, pod.Metadata.Uid ?? string.Empty);

    public string Uid => Ref.Uid;

    public string ResourceVersion { get; }

    public ImmutableDictionary<string, string> Annotations { get; }

    public string Phase { get; }

    public bool IsHostNetwork { get; }

    public bool IsBeingDeleted { get; }

    public bool IsTerminal => Phase is "Succeeded" or "Failed";

    public bool IsOpenShiftDeployerOrBuild => Annotations.ContainsKey(DeployerPodAnnotation) || Annotations.ContainsKey(BuildPodAnnotation);

    /// <summary>What decides the pod's traffic capture, mapped once.</summary>
    public PodCaptureInput CaptureInput { get; }

    /// <summary>The pod's IPs (status.podIPs, else status.podIP); empty until the sandbox has one.</summary>
    public ImmutableArray<IPAddress> PodIps => CaptureInput.PodIps;

    public bool IsMarkedInitialized =>
        Annotations.TryGetValue(PodMarkers.StatusAnnotation, out var value) && value == PodMarkers.InitializedValue;

    public bool HasInitializedConditionTrue { get; }

    public override string ToString() => $"{Ref.Namespace}/{Ref.Name}";
}
