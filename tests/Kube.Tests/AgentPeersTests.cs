using IstioPodNetwork.KubeSim;
using IstioPodNetwork.Testing;
using k8s;
using k8s.Models;

namespace IstioPodNetwork.Kube.Tests;

/// <summary>How agents find each other's pods, and how many their DaemonSet wants, against KubeSim's DaemonSet controller.</summary>
public sealed class AgentPeersTests : IAsyncLifetime
{
    private const string Namespace = "ipnc";
    private const string Selector = "app=agent";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    private KubeSimServer sim = null!;
    private Kubernetes client = null!;
    private KubeApi api = null!;

    public async Task InitializeAsync()
    {
        sim = await KubeSimServer.StartAsync(new KubeSimOptions { Nodes = ["node-a", "node-b", "node-c"] });
        client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(sim.KubeconfigPath));
        api = KubeClients.Create(sim.KubeconfigPath);
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace } });
    }

    public async Task DisposeAsync()
    {
        api.Dispose();
        client.Dispose();
        await sim.DisposeAsync();
    }

    [Fact]
    public async Task A_DaemonSet_wants_one_agent_per_node_and_each_running_one_is_found_on_its_management_port()
    {
        await client.AppsV1.CreateNamespacedDaemonSetAsync(DaemonSet("agents", Selector), Namespace);

        await Eventually.HoldsAsync(
            async () => (await AgentPeers.FindAsync(api, Namespace, Selector, "management", CancellationToken.None)).Count == 3, Bound, "three agent pods running");
        var found = await AgentPeers.FindAsync(api, Namespace, Selector, "management", CancellationToken.None);
        Assert.All(found, peer => Assert.Equal(8558, peer.Port));
        Assert.Equal(new WantedAgents("agents", 3), await AgentPeers.WantedAsync(api, Namespace, Selector, CancellationToken.None));
    }

    [Fact]
    public async Task Pods_no_DaemonSet_owns_leave_the_wanted_count_unknown()
    {
        await client.CoreV1.CreateNamespacedPodAsync(AgentPod("loose"), Namespace);

        Assert.Null(await AgentPeers.WantedAsync(api, Namespace, Selector, CancellationToken.None));
    }

    [Fact]
    public async Task Pods_of_two_DaemonSets_under_one_selector_leave_the_wanted_count_unknown()
    {
        await client.AppsV1.CreateNamespacedDaemonSetAsync(DaemonSet("agents", Selector), Namespace);
        await client.AppsV1.CreateNamespacedDaemonSetAsync(DaemonSet("other", Selector), Namespace);
        await Eventually.HoldsAsync(async () => (await client.CoreV1.ListNamespacedPodAsync(Namespace)).Items.Count == 6, Bound, "two DaemonSets' pods");

        Assert.Null(await AgentPeers.WantedAsync(api, Namespace, Selector, CancellationToken.None));
    }

    [Fact]
    public async Task No_pods_at_all_leave_the_wanted_count_unknown()
    {
        Assert.Null(await AgentPeers.WantedAsync(api, Namespace, Selector, CancellationToken.None));
    }

    private static V1DaemonSet DaemonSet(string name, string selector)
    {
        var (key, value) = (selector.Split('=')[0], selector.Split('=')[1]);
        return new V1DaemonSet
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1DaemonSetSpec
            {
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { [key] = value } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { [key] = value } },
                    Spec = AgentSpec(),
                },
            },
        };
    }

    private static V1Pod AgentPod(string name)
    {
        var spec = AgentSpec();
        spec.NodeName = "node-a";
        return new V1Pod { Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = "agent" } }, Spec = spec };
    }

    private static V1PodSpec AgentSpec() => new()
    {
        Containers = [new V1Container { Name = "agent", Image = "ipnc:1", Ports = [new V1ContainerPort { Name = "management", ContainerPort = 8558 }] }],
    };
}
