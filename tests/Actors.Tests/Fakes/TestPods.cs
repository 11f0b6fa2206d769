using IstioPodNetwork.Actors.Pods;
using IstioPodNetwork.Kube;
using IstioPodNetwork.Kube.Models;

namespace IstioPodNetwork.Actors.Tests.Fakes;

/// <summary>Pods as the watcher would deliver them.</summary>
public static class TestPods
{
    private static int resourceVersion;

    public static PodSnapshot Pod(
        string name,
        string ns = "apps",
        string? uid = null,
        string? ip = "10.10.0.5",
        IDictionary<string, string>? annotations = null,
        bool hostNetwork = false,
        string phase = "Running",
        bool deleting = false,
        bool markedInitialized = false) =>
        new(new Pod
        {
            Metadata = new ObjectMeta
            {
                Name = name,
                Namespace = ns,
                Uid = uid ?? $"uid-{ns}-{name}",
                ResourceVersion = Interlocked.Increment(ref resourceVersion).ToString(System.Globalization.CultureInfo.InvariantCulture),
                Annotations = markedInitialized
                    ? new Dictionary<string, string>(annotations ?? new Dictionary<string, string>()) { [PodMarkers.StatusAnnotation] = PodMarkers.InitializedValue }
                    : annotations is null ? null : new Dictionary<string, string>(annotations),
                DeletionTimestamp = deleting ? DateTime.UtcNow : null,
            },
            Spec = new PodSpec { NodeName = "node-a", HostNetwork = hostNetwork, Containers = [new Container { Name = "app" }] },
            Status = new PodStatus
            {
                Phase = phase,
                PodIP = ip,
                Conditions = markedInitialized ? [new PodCondition { Status = "True", Type = PodMarkers.InitializedCondition }] : null,
            },
        });

    public static PodSnapshot With(this PodSnapshot pod, string annotation, string value)
    {
        var annotations = new Dictionary<string, string>(pod.Annotations) { [annotation] = value };
        return Pod(pod.Ref.Name, pod.Ref.Namespace, pod.Uid, pod.PodIps.FirstOrDefault()?.ToString(), annotations, pod.IsHostNetwork, pod.Phase);
    }

    public static PodSnapshot OptedIn(string name, string ns = "apps", string? ip = "10.10.0.5", string rules = "default") =>
        Pod(name, ns, ip: ip, annotations: new Dictionary<string, string> { [PodMarkers.InitializeAnnotation] = "true", [FakeCapture.RulesAnnotation] = rules });
}
