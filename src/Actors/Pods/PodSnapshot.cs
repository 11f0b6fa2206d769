using System.Collections.Immutable;
using System.Net;
using IstioPodNetwork.Capture.Spec;
using IstioPodNetwork.Kube;
using k8s.Models;

namespace IstioPodNetwork.Actors.Pods;

/// <summary>
/// One version of a pod as the agent saw it. The watcher builds a fresh
/// <see cref="V1Pod"/> per event and nothing mutates it afterwards, so the
/// snapshot can travel between actors.
/// </summary>
public sealed record PodSnapshot(V1Pod Pod)
{
    private const string DeployerPodAnnotation = "openshift.io/deployer-pod-for.name";
    private const string BuildPodAnnotation = "openshift.io/build.name";

    public PodRef Ref { get; } = new(Pod.Metadata.NamespaceProperty ?? "default", Pod.Metadata.Name, Pod.Metadata.Uid);

    public string Uid => Ref.Uid;

    public string ResourceVersion => Pod.Metadata.ResourceVersion ?? string.Empty;

    public ImmutableDictionary<string, string> Annotations { get; } =
        Pod.Metadata.Annotations?.ToImmutableDictionary(StringComparer.Ordinal) ?? ImmutableDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal);

    public string Phase => Pod.Status?.Phase ?? "Pending";

    public bool IsHostNetwork => Pod.Spec?.HostNetwork == true;

    public bool IsBeingDeleted => Pod.Metadata.DeletionTimestamp is not null;

    public bool IsTerminal => Phase is "Succeeded" or "Failed";

    public bool IsOpenShiftDeployerOrBuild => Annotations.ContainsKey(DeployerPodAnnotation) || Annotations.ContainsKey(BuildPodAnnotation);

    /// <summary>What decides the pod's traffic capture, mapped once.</summary>
    public PodCaptureInput CaptureInput { get; } = PodCaptureInputs.From(Pod);

    /// <summary>The pod's IPs (status.podIPs, else status.podIP); empty until the sandbox has one.</summary>
    public ImmutableArray<IPAddress> PodIps => CaptureInput.PodIps;

    public bool IsMarkedInitialized =>
        Annotations.TryGetValue(PodMarkers.StatusAnnotation, out var value) && value == PodMarkers.InitializedValue;

    public bool HasInitializedConditionTrue =>
        Pod.Status?.Conditions?.Any(c => c.Type == PodMarkers.InitializedCondition && c.Status == "True") == true;

    public override string ToString() => $"{Ref.Namespace}/{Ref.Name}";
}
