using System.Net;
using IstioPodNetwork.Kube.Models;

namespace IstioPodNetwork.Kube;

/// <summary>Where another agent can be reached: its pod IP and, when asked for, its named port.</summary>
public sealed record PeerEndpoint(IPAddress Address, int? Port);

/// <summary>The DaemonSet that runs the agents, and how many it wants running: one per node it schedules to.</summary>
public sealed record WantedAgents(string DaemonSet, int Count);

/// <summary>The agents' own pods, found by label selector: how agents discover each other.</summary>
public static class AgentPeers
{
    public static async Task<IReadOnlyList<PeerEndpoint>> FindAsync(
        KubeApi api, string namespaceName, string labelSelector, string? portName, CancellationToken cancellation)
    {
        var pods = await ListAsync(api, namespaceName, labelSelector, cancellation);
        return [.. Reachable(pods.Items, portName)];
    }

    /// <summary>
    /// How many agents their DaemonSet wants running (its status' desiredNumberScheduled), when all the
    /// agents' pods belong to one DaemonSet whose status speaks for its current spec; otherwise null.
    /// </summary>
    public static async Task<WantedAgents?> WantedAsync(KubeApi api, string namespaceName, string labelSelector, CancellationToken cancellation)
    {
        var pods = await ListAsync(api, namespaceName, labelSelector, cancellation);
        var owners = pods.Items
            .Select(p => p.Metadata?.OwnerReferences?.FirstOrDefault(o => o.Controller == true && o.Kind == "DaemonSet" && o.ApiVersion == "apps/v1")?.Name)
            .Distinct()
            .ToList();
        if (owners is not [{ } owner])
        {
            return null;
        }

        var daemonSet = await api.GetAsync(
            $"/apis/apps/v1/namespaces/{Uri.EscapeDataString(namespaceName)}/daemonsets/{Uri.EscapeDataString(owner)}", KubeJson.Default.DaemonSet, cancellation);
        var current = daemonSet.Status?.ObservedGeneration is { } observed && observed >= (daemonSet.Metadata?.Generation ?? 0);
        return current ? new WantedAgents(owner, daemonSet.Status!.DesiredNumberScheduled) : null;
    }

    private static Task<PodList> ListAsync(KubeApi api, string namespaceName, string labelSelector, CancellationToken cancellation) =>
        api.GetAsync(
            $"/api/v1/namespaces/{Uri.EscapeDataString(namespaceName)}/pods?labelSelector={Uri.EscapeDataString(labelSelector)}", KubeJson.Default.PodList, cancellation);

    /// <summary>
    /// Running pods that are not being deleted and have an IP; the port is the first container port whose
    /// name contains <paramref name="portName"/> (pods without one are skipped when a name is asked for).
    /// </summary>
    public static IEnumerable<PeerEndpoint> Reachable(IEnumerable<Pod> pods, string? portName)
    {
        foreach (var pod in pods)
        {
            if (pod.Metadata?.DeletionTimestamp is not null || pod.Status?.Phase != "Running" || !IPAddress.TryParse(pod.Status.PodIP, out var address))
            {
                continue;
            }

            if (string.IsNullOrEmpty(portName))
            {
                yield return new PeerEndpoint(address, null);
                continue;
            }

            var port = pod.Spec?.Containers?.SelectMany(c => c.Ports ?? []).FirstOrDefault(p => p.Name?.Contains(portName, StringComparison.Ordinal) == true);
            if (port is not null)
            {
                yield return new PeerEndpoint(address, port.Number);
            }
        }
    }
}
