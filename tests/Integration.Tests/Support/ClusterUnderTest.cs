using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using IstioPodNetwork.Integration.Tests.Commands;
using IstioPodNetwork.Kube;
using IstioPodNetwork.KubeSim;
using IstioPodNetwork.Testing;
using k8s;
using k8s.Models;
using Xunit.Abstractions;

namespace IstioPodNetwork.Integration.Tests.Support;

/// <summary>
/// Several simulated nodes, each its own network namespace joined to a test bridge; KubeSim serves
/// HTTPS on the bridge; each node's agent runs inside its node's netns, on the node's address, and
/// finds the others through KubeSim by label selector (Akka Cluster Bootstrap). Nothing is routed
/// off the bridge: no forwarding is enabled and every address is on the bridge's own subnet.
/// </summary>
public sealed class ClusterUnderTest : IAsyncDisposable
{
    /// <summary>Where deploy/manifests installs the agents, and the selector its DaemonSet gives them.</summary>
    public const string AgentNamespace = "istio-pod-network-controller";
    public const string Selector = "app.kubernetes.io/name=istio-pod-network-controller,app.kubernetes.io/instance=istio-pod-network-controller";
    public const int RemotingPort = 4053;
    public const int ManagementPort = 8558;
    public const int HealthPort = 9111;
    public const int CommandPort = 9110;

    /// <summary>Cluster timings shortened for tests: failure detection, split-brain decisions, bootstrap.</summary>
    private const string FastClusterHocon = """
        akka.cluster.failure-detector.acceptable-heartbeat-pause = 2s
        akka.cluster.failure-detector.heartbeat-interval = 500ms
        akka.cluster.split-brain-resolver.stable-after = 3s
        akka.cluster.down-removal-margin = 1s
        akka.cluster.unreachable-nodes-reaper-interval = 500ms
        akka.cluster.gossip-interval = 500ms
        akka.cluster.singleton.hand-over-retry-interval = 500ms
        akka.cluster.distributed-data.gossip-interval = 500ms
        akka.management.cluster.bootstrap.contact-point-discovery.stable-margin = 1s
        akka.management.cluster.bootstrap.contact-point-discovery.interval = 500ms
        akka.management.cluster.bootstrap.contact-point.probe-interval = 500ms
        """;

    private readonly ITestOutputHelper output;
    private readonly string bridge;
    private readonly string directory;
    private readonly Dictionary<string, NodeAgent> agents = [];

    private ClusterUnderTest(KubeSimServer sim, IKubernetes client, string bridge, IPAddress gateway, string directory, ITestOutputHelper output)
    {
        Sim = sim;
        Client = client;
        this.bridge = bridge;
        Gateway = gateway;
        this.directory = directory;
        this.output = output;
    }

    public KubeSimServer Sim { get; }

    public IKubernetes Client { get; }

    /// <summary>KubeSim's address on the bridge.</summary>
    public IPAddress Gateway { get; }

    public IReadOnlyDictionary<string, NodeAgent> Agents => agents;

    private string OverrideFile => Path.Combine(directory, "fast-cluster.conf");

    public static async Task<ClusterUnderTest> StartAsync(int nodes, ITestOutputHelper output, bool startAgents = true)
    {
        Root.Require("nodes are network namespaces on a test bridge");
        var id = RandomNumberGenerator.GetBytes(2);
        var bridge = $"ipc{Convert.ToHexStringLower(id)}br";
        var subnet = $"10.{70 + (id[0] % 20)}.{id[1]}";
        var gateway = IPAddress.Parse(subnet + ".1");
        var directory = Directory.CreateTempSubdirectory("ipnc-cluster-").FullName;
        await Shell.RunAsync(["ip", "link", "add", bridge, "type", "bridge"]);
        KubeSimServer? sim = null;
        try
        {
            await Shell.RunAsync(["ip", "addr", "add", $"{gateway}/24", "dev", bridge]);
            await Shell.RunAsync(["ip", "link", "set", bridge, "up"]);
            sim = await KubeSimServer.StartAsync(new KubeSimOptions
            {
                ListenAddress = gateway,
                ListenInterface = bridge,
                Tls = true,
                Sandbox = SandboxKind.Netns,
                Uplink = new UplinkOptions(bridge, subnet + ".0/24", FirstHost: 10),
                Nodes = [.. Enumerable.Range(1, nodes).Select(i => $"node-{i}")],
            });
            var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(sim.KubeconfigPath));
            var cluster = new ClusterUnderTest(sim, client, bridge, gateway, directory, output);
            await File.WriteAllTextAsync(cluster.OverrideFile, FastClusterHocon);
            await cluster.DeployAgentDaemonSetAsync();
            if (startAgents)
            {
                foreach (var node in sim.Nodes)
                {
                    await cluster.StartAgentAsync(node.Name);
                }
            }

            return cluster;
        }
        catch
        {
            if (sim is not null)
            {
                await sim.DisposeAsync();
            }

            await Shell.RunAsync(["ip", "link", "del", bridge]);
            throw;
        }
    }

    /// <summary>Starts (or restarts) the agent of <paramref name="node"/> inside its node netns.</summary>
    public async Task<NodeAgent> StartAgentAsync(string node, params string[] extraArguments)
    {
        var simulated = Sim.Nodes.Single(n => n.Name == node);
        var address = simulated.InternalIp.ToString();
        var process = ChildProcess.Start(
            "ip",
            [
                "netns", "exec", simulated.NetnsName!, Binaries.Ipnc, "agent",
                "--node-name", node, "--kubeconfig", Sim.KubeconfigPath, "--config", OverrideFile,
                "--remoting-host", address, "--remoting-port", Text(RemotingPort), "--management-port", Text(ManagementPort),
                "--health-host", "0.0.0.0", "--health-port", Text(HealthPort), "--command-port", Text(CommandPort),
                "--discovery", "kubernetes", "--discovery-namespace", AgentNamespace, "--discovery-selector", Selector,
                .. NodeUnderTest.FastRetries, .. extraArguments,
            ],
            output,
            label: node);
        var agent = new NodeAgent(node, simulated.NetnsName!, address, process);
        if (agents.Remove(node, out var previous))
        {
            await previous.Process.DisposeAsync();
        }

        agents[node] = agent;
        await process.WaitForLineAsync(l => l.Contains($"Command endpoint listening on 127.0.0.1:{CommandPort}", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the command endpoint");
        return agent;
    }

    /// <summary>Runs the `ipnc` client inside <paramref name="node"/>'s netns, where its agent's command endpoint is.</summary>
    public Task<ClientRun> IpncAsync(string node, params string[] args) =>
        Ipnc.RunInAsync(agents[node].Netns, output, args);

    /// <summary>Waits until <paramref name="node"/>'s agent sees exactly <paramref name="nodes"/> as Up members.</summary>
    public Task MembersUpAsync(string node, TimeSpan timeout, params string[] nodes) =>
        Eventually.HoldsAsync(
            async () =>
            {
                var run = await IpncAsync(node, "cluster", "show", "-o", "json");
                if (run.ExitCode != 0)
                {
                    return false;
                }

                var members = run.Json.GetProperty("members").EnumerateArray().ToList();
                return members.Count == nodes.Length
                    && members.All(m => m.GetProperty("status").GetString() == "up" && m.GetProperty("reachability").GetString() == "reachable")
                    && members.Select(m => m.GetProperty("node").GetString()).Order(StringComparer.Ordinal).SequenceEqual(nodes.Order(StringComparer.Ordinal));
            },
            timeout,
            $"{node} seeing exactly {string.Join(", ", nodes)} up",
            TimeSpan.FromMilliseconds(300));

    public async Task CreateNamespaceAsync(string name, string? initialize = null)
    {
        var annotations = initialize is null ? null : new Dictionary<string, string> { [PodMarkers.InitializeAnnotation] = initialize };
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name, Annotations = annotations } });
    }

    /// <summary>A pod bound to <paramref name="node"/> (as the scheduler would bind it).</summary>
    public Task CreatePodAsync(string ns, string name, string node) =>
        Client.CoreV1.CreateNamespacedPodAsync(
            new V1Pod
            {
                Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
                Spec = new V1PodSpec { NodeName = node, Containers = [new V1Container { Name = "app", Image = "registry.example/app:1" }] },
            },
            ns);

    public async Task<IList<V1Pod>> PodsAsync(string ns) => (await Client.CoreV1.ListNamespacedPodAsync(ns)).Items;

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in agents.Values)
        {
            await agent.Process.DisposeAsync();
        }

        Client.Dispose();
        await Sim.DisposeAsync();
        await Shell.RunAsync(["ip", "link", "del", bridge]);
        Directory.Delete(directory, recursive: true);
    }

    private static string Text(int number) => number.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// What the agents find each other by: the shipped manifests applied with kubectl, so that the
    /// DaemonSet's pods (host network: the node's IP) carry the labels and the named management port
    /// discovery looks for. KubeSim runs no containers; the test runs each pod's agent itself.
    /// </summary>
    private async Task DeployAgentDaemonSetAsync()
    {
        using var kubectl = new Kubectl(Sim.KubeconfigPath, output);
        await kubectl.OkAsync("apply", "-f", RepoRoot.File("deploy", "manifests"));
        await Eventually.HoldsAsync(
            async () => (await PodsAsync(AgentNamespace)).Count(p => p.Status?.Phase == "Running" && p.Status.PodIP is not null) == Sim.Nodes.Count,
            TimeSpan.FromSeconds(20),
            "one running agent pod per node");
    }
}

/// <summary>One node's agent process, running inside the node's netns on the node's address.</summary>
public sealed record NodeAgent(string Node, string Netns, string Address, ChildProcess Process)
{
    public string AkkaAddress => $"akka.tcp://ipnc@{Address}:{ClusterUnderTest.RemotingPort}";
}
