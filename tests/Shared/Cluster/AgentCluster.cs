using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using IstioPodNetwork.Host.Configuration;
using IstioPodNetwork.Kube;
using IstioPodNetwork.KubeSim;
using k8s;
using k8s.Models;

namespace IstioPodNetwork.Testing;

/// <summary>What an <see cref="AgentCluster"/> runs.</summary>
public sealed record AgentClusterOptions
{
    public int Nodes { get; init; } = 3;

    /// <summary>Starts each node's agent, one after the other; otherwise the caller starts them.</summary>
    public bool StartAgents { get; init; } = true;

    public NamespaceWatch NamespaceWatch { get; init; } = NamespaceWatch.Singleton;

    /// <summary>Failure detection, split-brain decisions and bootstrap shortened (tests); false keeps the shipped HOCON.conf timings.</summary>
    public bool FastClusterTimings { get; init; } = true;

    /// <summary>Given to every agent after the harness's own arguments.</summary>
    public IReadOnlyList<string> AgentArguments { get; init; } = [];

    /// <summary>How long, with <see cref="FastClusterTimings"/>, bootstrap's set of found agents must stay unchanged before a cluster may form without them all.</summary>
    public TimeSpan StableMargin { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// Several simulated nodes, each its own network namespace joined to a test bridge; KubeSim serves
/// HTTPS on the bridge; each node's agent runs inside its node's netns, on the node's address, and
/// finds the others through KubeSim by label selector (Akka Cluster Bootstrap), and reaches KubeSim as a
/// DaemonSet's pod reaches the API: in-cluster configuration, as the manifests' ServiceAccount. Nothing is routed
/// off the bridge: no forwarding is enabled and every address is on the bridge's own subnet.
/// Free of xunit: the integration tests and the cluster benchmark both run it.
/// </summary>
public sealed class AgentCluster : IAsyncDisposable
{
    /// <summary>Where deploy/manifests installs the agents, the ServiceAccount they run as, and the selector its DaemonSet gives them.</summary>
    public const string AgentNamespace = ShippedManifests.AgentNamespace;
    public const string ServiceAccount = ShippedManifests.ServiceAccount;
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
        akka.management.cluster.bootstrap.contact-point-discovery.interval = 500ms
        akka.management.cluster.bootstrap.contact-point.probe-interval = 500ms
        """;

    private static readonly TimeSpan AgentStart = TimeSpan.FromSeconds(30);

    private readonly AgentClusterOptions options;
    private readonly Action<string>? log;
    private readonly string bridge;
    private readonly string directory;
    private readonly Dictionary<string, NodeAgent> agents = [];
    private ServiceAccountMount? serviceAccount;

    private AgentCluster(KubeSimServer sim, IKubernetes client, string bridge, IPAddress gateway, string directory, AgentClusterOptions options, Action<string>? log)
    {
        Sim = sim;
        Client = client;
        this.bridge = bridge;
        Gateway = gateway;
        this.directory = directory;
        this.options = options;
        this.log = log;
    }

    public KubeSimServer Sim { get; }

    public IKubernetes Client { get; }

    /// <summary>KubeSim's address on the bridge.</summary>
    public IPAddress Gateway { get; }

    public IReadOnlyDictionary<string, NodeAgent> Agents => agents;

    /// <summary>The simulated nodes' names, node-1 … node-N.</summary>
    public IReadOnlyList<string> Nodes => [.. Sim.Nodes.Select(n => n.Name)];

    private string OverrideFile => Path.Combine(directory, "fast-cluster.conf");

    /// <summary>Makes the bridge, KubeSim and its node netns, installs the shipped manifests and (unless told not to) starts every agent.</summary>
    public static async Task<AgentCluster> StartAsync(AgentClusterOptions options, Action<string>? log)
    {
        Root.Require("nodes are network namespaces on a test bridge");
        var id = RandomNumberGenerator.GetBytes(2);
        var bridge = $"ipc{Convert.ToHexStringLower(id)}br";
        var subnet = $"10.{70 + (id[0] % 20)}.{id[1]}";
        var gateway = IPAddress.Parse(subnet + ".1");
        var directory = Directory.CreateTempSubdirectory("ipnc-cluster-").FullName;
        AgentCluster? cluster = null;
        KubeSimServer? sim = null;
        try
        {
            await Shell.RunAsync(["ip", "link", "add", bridge, "type", "bridge"]);
            await Shell.RunAsync(["ip", "addr", "add", $"{gateway}/24", "dev", bridge]);
            await Shell.RunAsync(["ip", "link", "set", bridge, "up"]);
            sim = await KubeSimServer.StartAsync(new KubeSimOptions
            {
                ListenAddress = gateway,
                ListenInterface = bridge,
                Tls = true,
                Sandbox = SandboxKind.Netns,
                Uplink = new UplinkOptions(bridge, subnet + ".0/24", FirstHost: 10),
                Nodes = [.. Enumerable.Range(1, options.Nodes).Select(i => $"node-{i}")],
            });
            var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(sim.KubeconfigPath));
            cluster = new AgentCluster(sim, client, bridge, gateway, directory, options, log);
            await File.WriteAllTextAsync(
                cluster.OverrideFile,
                FastClusterHocon + $"\nakka.management.cluster.bootstrap.contact-point-discovery.stable-margin = {Text((int)options.StableMargin.TotalMilliseconds)}ms\n");
            await cluster.DeployAgentDaemonSetAsync();
            // The agents reach the API as the DaemonSet's pods do (in-cluster configuration, no kubeconfig), with the
            // token of the manifests' ServiceAccount: they may do only what the manifests' RBAC grants.
            var secrets = Directory.CreateDirectory(Path.Combine(directory, "serviceaccount")).FullName;
            await sim.WriteServiceAccountFilesAsync(AgentNamespace, ServiceAccount, secrets);
            cluster.serviceAccount = await ServiceAccountMount.StartAsync(secrets, log);
            if (options.StartAgents)
            {
                foreach (var node in cluster.Nodes)
                {
                    await cluster.StartAgentAsync(node);
                }
            }

            return cluster;
        }
        catch
        {
            if (cluster is not null)
            {
                await cluster.DisposeAsync();
            }
            else
            {
                await TearDownAsync(sim, bridge, directory);
            }

            throw;
        }
    }

    /// <summary>Starts (or restarts) the agent of <paramref name="node"/> inside its node netns; returns once its command endpoint listens.</summary>
    public async Task<NodeAgent> StartAgentAsync(string node, params string[] extraArguments)
    {
        var agent = await LaunchAsync(node, extraArguments);
        await AwaitCommandEndpointAsync(agent);
        return agent;
    }

    /// <summary>Starts the agents of <paramref name="nodes"/> all at once, as a DaemonSet rollout does; returns once every command endpoint listens.</summary>
    public async Task<NodeAgent[]> StartAgentsAsync(IEnumerable<string> nodes)
    {
        var started = await Task.WhenAll(nodes.Select(node => LaunchAsync(node, [])));
        await Task.WhenAll(started.Select(AwaitCommandEndpointAsync));
        return started;
    }

    /// <summary>Kills every agent and forgets it; the nodes, KubeSim and the agents' DaemonSet stay, ready for the next start.</summary>
    public async Task StopAgentsAsync()
    {
        List<Exception> failures = [];
        foreach (var agent in agents.Values)
        {
            try
            {
                await agent.Process.DisposeAsync();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                failures.Add(e);
            }
        }

        agents.Clear();
        if (failures.Count > 0)
        {
            throw new AggregateException("stopping the agents", failures);
        }
    }

    /// <summary>Runs the `ipnc` client inside <paramref name="node"/>'s netns, where its agent's command endpoint is.</summary>
    public Task<ClientRun> IpncAsync(string node, params string[] args) =>
        IpncClient.RunAsync(agents[node].Netns, log, args);

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

    /// <summary>Waits until every named pod of <paramref name="ns"/> carries the initialized marker.</summary>
    public Task AwaitInitializedAsync(string ns, IEnumerable<string> names, TimeSpan timeout)
    {
        var waiting = names.ToHashSet();
        return Eventually.HoldsAsync(
            async () =>
            {
                waiting.ExceptWith((await PodsAsync(ns)).Where(IsInitialized).Select(p => p.Metadata.Name));
                return waiting.Count == 0;
            },
            timeout,
            $"pods of {ns} initialized (waiting for {string.Join(", ", waiting)})",
            TimeSpan.FromMilliseconds(200));
    }

    public static bool IsInitialized(V1Pod pod) =>
        pod.Metadata.Annotations?.TryGetValue(PodMarkers.StatusAnnotation, out var value) == true && value == PodMarkers.InitializedValue;

    /// <summary>Stops every agent, then removes KubeSim (with every node and pod netns), the bridge and the files; each step runs even if one before it failed.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAgentsAsync();
        }
        finally
        {
            Client.Dispose();
            try
            {
                if (serviceAccount is not null)
                {
                    await serviceAccount.DisposeAsync();
                }
            }
            finally
            {
                await TearDownAsync(Sim, bridge, directory);
            }
        }
    }

    private static async Task TearDownAsync(KubeSimServer? sim, string bridge, string directory)
    {
        try
        {
            if (sim is not null)
            {
                await sim.DisposeAsync();
            }
        }
        finally
        {
            try
            {
                if (Directory.Exists($"/sys/class/net/{bridge}"))
                {
                    await Shell.RunAsync(["ip", "link", "del", bridge]);
                }
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static string Text(int number) => number.ToString(CultureInfo.InvariantCulture);

    private static string Flag(NamespaceWatch mode) => mode switch
    {
        NamespaceWatch.Singleton => "singleton",
        NamespaceWatch.PerNode => "per-node",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "not a namespace-watch mode"),
    };

    /// <summary>Starts the agent process, after stopping the node's previous one, without waiting for it to come up.</summary>
    private async Task<NodeAgent> LaunchAsync(string node, IReadOnlyList<string> extraArguments)
    {
        if (agents.Remove(node, out var previous))
        {
            await previous.Process.DisposeAsync();
        }

        var simulated = Sim.Nodes.Single(n => n.Name == node);
        var address = simulated.InternalIp.ToString();
        string[] timings = options.FastClusterTimings ? ["--config", OverrideFile] : [];
        // nsenter execs the agent in place (the process id is the agent's own), in the node's netns and the mount
        // namespace that shows the service account's files, with the environment the image gives it.
        var process = ChildProcess.Start(
            "nsenter",
            [
                $"--net=/run/netns/{simulated.NetnsName}", $"--mount={serviceAccount!.NamespaceFile}", "--", Binaries.Ipnc, "agent",
                "--node-name", node, .. timings,
                "--remoting-host", address, "--remoting-port", Text(RemotingPort), "--management-port", Text(ManagementPort),
                "--health-host", "0.0.0.0", "--health-port", Text(HealthPort), "--command-port", Text(CommandPort),
                "--discovery", "kubernetes", "--discovery-namespace", AgentNamespace, "--discovery-selector", Selector,
                "--namespace-watch", Flag(options.NamespaceWatch), .. options.AgentArguments, .. extraArguments,
            ],
            log,
            ServiceAccountMount.PodEnvironment(Sim.Url),
            label: node);
        var agent = new NodeAgent(node, simulated.NetnsName!, address, process);
        agents[node] = agent;
        return agent;
    }

    private static Task AwaitCommandEndpointAsync(NodeAgent agent) =>
        agent.Process.WaitForLineAsync(l => l.Contains($"Command endpoint listening on 127.0.0.1:{CommandPort}", StringComparison.Ordinal), AgentStart, "the command endpoint");

    /// <summary>
    /// What the agents find each other by: the shipped manifests applied with kubectl, so that the
    /// DaemonSet's pods (host network: the node's IP) carry the labels and the named management port
    /// discovery looks for. KubeSim runs no containers; the harness runs each pod's agent itself.
    /// </summary>
    private async Task DeployAgentDaemonSetAsync()
    {
        await ShippedManifests.ApplyAsync(Sim.KubeconfigPath, directory, log);

        await Eventually.HoldsAsync(
            async () => (await PodsAsync(AgentNamespace)).Count(p => p.Status?.Phase == "Running" && p.Status.PodIP is not null) == Sim.Nodes.Count,
            TimeSpan.FromSeconds(20),
            "one running agent pod per node");
    }
}

/// <summary>One node's agent process, running inside the node's netns on the node's address.</summary>
public sealed record NodeAgent(string Node, string Netns, string Address, ChildProcess Process)
{
    public string AkkaAddress => $"akka.tcp://ipnc@{Address}:{AgentCluster.RemotingPort}";

    /// <summary>The agent's /healthz, /readyz and /metrics, reached over the bridge.</summary>
    public Uri Health => new($"http://{Address}:{AgentCluster.HealthPort}/");
}
