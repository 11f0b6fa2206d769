using System.Collections.Immutable;
using System.Net;
using IstioPodNetwork.Capture.Spec;
using IstioPodNetwork.Kube.Models;

namespace IstioPodNetwork.Actors.Pods;

/// <summary>
/// The one mapping from a Kubernetes pod to the capture inputs, shared by the agent's actors and
/// `ipnc rules`, so the dry run shows exactly what the agent would apply.
/// </summary>
public static class PodCaptureInputs
{
    public static PodCaptureInput From(Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        var proxy = pod.Spec?.Containers?.FirstOrDefault(c => c.Name == ProxyContainer.ContainerName);
        return new PodCaptureInput(
            pod.Metadata?.Namespace ?? string.Empty,
            pod.Metadata?.Name ?? string.Empty,
            pod.Metadata?.Uid ?? string.Empty,
            pod.Metadata?.Annotations?.ToImmutableDictionary() ?? ImmutableDictionary<string, string>.Empty,
            proxy is null ? null : new ProxyContainer(
                proxy.SecurityContext?.RunAsUser ?? pod.Spec?.SecurityContext?.RunAsUser,
                proxy.SecurityContext?.RunAsGroup ?? pod.Spec?.SecurityContext?.RunAsGroup,
                (proxy.Env ?? []).Where(e => e.Name is not null && e.Value is not null).GroupBy(e => e.Name!).ToImmutableDictionary(g => g.Key, g => g.Last().Value!)),
            PodIps(pod.Status));
    }

    /// <summary>status.podIPs, else status.podIP; text that is not an address is skipped (the API server validates it anyway).</summary>
    private static ImmutableArray<IPAddress> PodIps(PodStatus? status)
    {
        var texts = status?.PodIPs is { Count: > 0 } ips ? ips.Select(ip => ip.Ip) : Enumerable.Repeat(status?.PodIP, 1);
        return [.. texts.Select(t => IPAddress.TryParse(t, out var ip) ? ip : null).OfType<IPAddress>().Distinct()];
    }
}
