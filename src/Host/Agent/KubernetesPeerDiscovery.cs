using Akka.Actor;
using Akka.Discovery;
using IstioPodNetwork.Kube;

namespace IstioPodNetwork.Host.Agent;

/// <summary>
/// Akka discovery over the agent's own API client: the DaemonSet's pods by label selector. It stands
/// in for Akka.Discovery.KubernetesApi, whose 1.5.73 build targets KubernetesClient 17 and fails at
/// run time against the 19 and 21 the registry serves (MissingMethodException on V1PodList), and it
/// uses the agent's kubeconfig or in-cluster configuration like every other API call.
/// </summary>
public sealed class KubernetesPeerDiscovery(ExtendedActorSystem system) : ServiceDiscovery
{
    public const string Method = "ipnc-kubernetes";

    public static string Hocon => $$"""
        akka.discovery {
          method = {{Method}}
          {{Method}}.class = "{{typeof(KubernetesPeerDiscovery).AssemblyQualifiedName}}"
        }
        """;

    private readonly PeerSearch search = system.GetExtension<PeerSearch>()
        ?? throw new InvalidOperationException("the peer search is registered before discovery starts");

    public override async Task<Resolved> Lookup(Lookup lookup, TimeSpan resolveTimeout)
    {
        using var timeout = new CancellationTokenSource(resolveTimeout);
        var peers = await AgentPeers.FindAsync(search.Api, search.Namespace, search.Selector, lookup.PortName, timeout.Token);
        return new Resolved(lookup.ServiceName, peers.Select(p => new ResolvedTarget(p.Address.ToString(), p.Port, p.Address)));
    }
}

/// <summary>What discovery needs from the agent: its API client and where its peers' pods are.</summary>
public sealed class PeerSearch(KubeApi api, string namespaceName, string selector) : IExtension
{
    public KubeApi Api { get; } = api;

    public string Namespace { get; } = namespaceName;

    public string Selector { get; } = selector;

    /// <summary>The namespace to search: the setting, else this pod's service-account namespace, else "default".</summary>
    public static string NamespaceOf(string configured)
    {
        return configured.Length > 0 ? configured
            : File.Exists(KubeClients.ServiceAccountNamespaceFile) ? File.ReadAllText(KubeClients.ServiceAccountNamespaceFile).Trim()
            : "default";
    }
}

public sealed class PeerSearchProvider(PeerSearch search) : ExtensionIdProvider<PeerSearch>
{
    public override PeerSearch CreateExtension(ExtendedActorSystem system) => search;
}
