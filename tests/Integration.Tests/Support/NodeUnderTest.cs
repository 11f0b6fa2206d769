using IstioPodNetwork.Kube;
using IstioPodNetwork.KubeSim;
using IstioPodNetwork.Testing;
using k8s;
using k8s.Models;
using Xunit.Abstractions;

namespace IstioPodNetwork.Integration.Tests.Support;

/// <summary>
/// A KubeSim with one simulated node whose pods get real sandboxes (netns, veth, a process in a
/// kubelet-like cgroup), an API client, and the agent for that node as a real process.
/// Disposing stops the agent and removes every sandbox.
/// </summary>
public sealed class NodeUnderTest : IAsyncDisposable
{
    public const string Node = "node-a";

    /// <summary>Failing pods retry fast and give up soon, so a test sees the end of it.</summary>
    public static readonly string[] FastRetries = ["--backoff-min", "200ms", "--backoff-max", "1s", "--max-retries", "2", "--netns-wait", "10s"];

    private readonly ITestOutputHelper output;

    private NodeUnderTest(KubeSimServer sim, IKubernetes client, ITestOutputHelper output)
    {
        Sim = sim;
        Client = client;
        this.output = output;
    }

    public KubeSimServer Sim { get; }

    public IKubernetes Client { get; }

    public RunningAgent? Agent { get; private set; }

    public static async Task<NodeUnderTest> StartAsync(ITestOutputHelper output, bool startAgent = true)
    {
        Root.Require("pods get real network namespaces and iptables rules");
        var sim = await KubeSimServer.StartAsync(new KubeSimOptions { Nodes = [Node], Sandbox = SandboxKind.Netns });
        var node = new NodeUnderTest(sim, new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(sim.KubeconfigPath)), output);
        if (startAgent)
        {
            await node.StartAgentAsync();
        }

        return node;
    }

    public async Task<RunningAgent> StartAgentAsync(params string[] extraArguments)
    {
        Agent = await RunningAgent.StartAsync(Node, output, kubeconfig: Sim.KubeconfigPath, extraArguments: [.. FastRetries, .. extraArguments]);
        return Agent;
    }

    public async Task CreateNamespaceAsync(string name, string? initialize = null)
    {
        var annotations = initialize is null ? null : new Dictionary<string, string> { [PodMarkers.InitializeAnnotation] = initialize };
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name, Annotations = annotations } });
    }

    public async Task CreatePodAsync(string ns, string name, IDictionary<string, string>? annotations = null, bool hostNetwork = false)
    {
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Annotations = annotations },
            Spec = new V1PodSpec
            {
                HostNetwork = hostNetwork,
                Containers =
                [
                    new V1Container { Name = "app", Image = "registry.example/app:1", Ports = [new V1ContainerPort { ContainerPort = 8080 }] },
                    new V1Container { Name = "istio-proxy", Image = "registry.example/proxyv2:1" },
                ],
            },
        };
        // The test's own writes may meet the failures a test injects for the agent: retry them as any client would.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await Client.CoreV1.CreateNamespacedPodAsync(pod, ns);
                return;
            }
            catch (k8s.Autorest.HttpOperationException e) when (attempt < 10 && (int)e.Response.StatusCode is 429 or >= 500)
            {
            }
        }
    }

    public Task<V1Pod> ReadPodAsync(string ns, string name) => Client.CoreV1.ReadNamespacedPodAsync(name, ns);

    public static bool IsInitialized(V1Pod pod) => AgentCluster.IsInitialized(pod);

    public static V1PodCondition? Condition(V1Pod pod) =>
        pod.Status?.Conditions?.FirstOrDefault(c => c.Type == PodMarkers.InitializedCondition);

    /// <summary>Waits until every named pod carries the initialized marker.</summary>
    public async Task AwaitInitializedAsync(string ns, IEnumerable<string> names, TimeSpan timeout)
    {
        var waiting = names.ToHashSet();
        await Eventually.HoldsAsync(
            async () =>
            {
                var pods = await Client.CoreV1.ListNamespacedPodAsync(ns);
                waiting.ExceptWith(pods.Items.Where(IsInitialized).Select(p => p.Metadata.Name));
                return waiting.Count == 0;
            },
            timeout,
            $"pods of {ns} initialized (still waiting for {string.Join(", ", waiting.Order().Take(10))})",
            TimeSpan.FromMilliseconds(200));
    }

    /// <summary>iptables-save (IPv4) inside the pod's own network namespace.</summary>
    public async Task<string> RulesAsync(string ns, string name)
    {
        var sandbox = Sim.FindSandbox(ns, name) ?? throw new InvalidOperationException($"pod {ns}/{name} has no sandbox");
        return await Shell.RunAsync(["ip", "netns", "exec", sandbox.NetnsName!, "iptables-save"]);
    }

    public async Task<IList<Corev1Event>> EventsAsync(string ns, string podName) =>
        (await Client.CoreV1.ListNamespacedEventAsync(ns, fieldSelector: "involvedObject.name=" + podName)).Items;

    public async ValueTask DisposeAsync()
    {
        if (Agent is not null)
        {
            await Agent.DisposeAsync();
        }

        Client.Dispose();
        await Sim.DisposeAsync();
    }
}
