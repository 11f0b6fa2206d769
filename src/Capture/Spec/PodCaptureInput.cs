using System.Collections.Immutable;
using System.Net;

namespace IstioPodNetwork.Capture.Spec;

/// <summary>
/// Everything about one pod that decides its traffic capture, already lifted out of the
/// Kubernetes object (the agent and `ipnc rules` build it with the same mapping).
/// </summary>
/// <param name="Proxy">The pod's <c>istio-proxy</c> container, or null when it has none.</param>
public sealed record PodCaptureInput(
    string Namespace,
    string Name,
    string Uid,
    ImmutableDictionary<string, string> Annotations,
    ProxyContainer? Proxy,
    ImmutableArray<IPAddress> PodIps)
{
    public override string ToString() => $"{Namespace}/{Name} ({Uid})";
}

/// <summary>What capture needs from the <c>istio-proxy</c> container: its effective user and group, and its environment.</summary>
/// <param name="RunAsUser">securityContext.runAsUser of the container, else of the pod; null when neither sets it.</param>
/// <param name="RunAsGroup">securityContext.runAsGroup of the container, else of the pod; null when neither sets it.</param>
public sealed record ProxyContainer(
    long? RunAsUser,
    long? RunAsGroup,
    ImmutableDictionary<string, string> Environment)
{
    public const string ContainerName = "istio-proxy";
}
