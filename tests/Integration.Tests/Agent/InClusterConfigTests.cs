using System.Globalization;
using IstioPodNetwork.Integration.Tests.Support;
using IstioPodNetwork.KubeSim;
using IstioPodNetwork.Testing;
using k8s;
using k8s.Models;
using Xunit.Abstractions;

namespace IstioPodNetwork.Integration.Tests.Agent;

/// <summary>
/// The agent configured as the DaemonSet runs it: no kubeconfig, the API named by KUBERNETES_SERVICE_HOST and
/// _PORT, the service account's token and CA in /var/run/secrets/kubernetes.io/serviceaccount (shown to the agent
/// in a mount namespace of its own: <see cref="ServiceAccountMount"/>).
/// </summary>
public sealed class InClusterConfigTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Node = "node-a";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly string secrets = Directory.CreateTempSubdirectory("ipnc-incluster-").FullName;
    private KubeSimServer sim = null!;
    private ServiceAccountMount? serviceAccount;

    public async Task InitializeAsync()
    {
        Root.Require("the agent runs in a mount namespace of its own");
        sim = await KubeSimServer.StartAsync(new KubeSimOptions { Nodes = [Node], Tls = true });
        await File.WriteAllTextAsync(Path.Combine(secrets, "ca.crt"), sim.CertificateAuthority);
        await File.WriteAllTextAsync(Path.Combine(secrets, "namespace"), "istio-pod-network-controller");

        serviceAccount = await ServiceAccountMount.StartAsync(secrets, XunitLog.To(output));
    }

    /// <remarks>Also after a failed start: whatever was made is undone.</remarks>
    public async Task DisposeAsync()
    {
        if (serviceAccount is not null)
        {
            await serviceAccount.DisposeAsync();
        }

        if (sim is not null)
        {
            await sim.DisposeAsync();
        }

        Directory.Delete(secrets, recursive: true);
    }

    [Fact]
    public async Task With_the_service_accounts_token_and_CA_and_no_kubeconfig_the_agent_reaches_the_API_and_becomes_ready()
    {
        await File.WriteAllTextAsync(Path.Combine(secrets, "token"), sim.Token);
        var healthPort = FreePort.Next();
        await using var agent = StartAgent(healthPort);
        using var http = new HttpClient();

        // Ready means the pod and namespace watches synced: KubeSim over TLS answers only requests carrying its token.
        await Eventually.HoldsAsync(
            async () => (await http.GetAsync(new Uri($"http://127.0.0.1:{healthPort}/readyz"))).IsSuccessStatusCode,
            Bound,
            "the agent reporting ready");
        Assert.DoesNotContain(agent.Lines, l => l.Contains("Unauthorized", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_token_the_API_does_not_accept_is_reported_with_the_servers_answer()
    {
        await File.WriteAllTextAsync(Path.Combine(secrets, "token"), "not-" + sim.Token);
        await using var agent = StartAgent(FreePort.Next());

        await agent.WaitForLineAsync(l => l.Contains("HTTP 401 Unauthorized", StringComparison.Ordinal), Bound, "the API's refusal in the agent's log");
    }

    [Fact]
    public async Task Discovery_with_no_namespace_given_searches_the_namespace_the_service_account_is_in()
    {
        // A namespace only the service account's namespace file names.
        const string Own = "agents-by-file";
        await File.WriteAllTextAsync(Path.Combine(secrets, "token"), sim.Token);
        await File.WriteAllTextAsync(Path.Combine(secrets, "namespace"), Own);
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(sim.KubeconfigPath));
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Own } });
        await client.CoreV1.CreateNamespacedPodAsync(
            new V1Pod
            {
                Metadata = new V1ObjectMeta { Name = "peer", Labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "istio-pod-network-controller" } },
                Spec = new V1PodSpec
                {
                    NodeName = Node,
                    Containers = [new V1Container { Name = "agent", Image = "ipnc:1", Ports = [new V1ContainerPort { Name = "management", ContainerPort = 8558 }] }],
                },
            },
            Own);
        var peer = await Eventually.ReturnsAsync(async () => (await client.CoreV1.ReadNamespacedPodAsync("peer", Own)).Status?.PodIP, Bound, "the peer pod's IP");

        await using var agent = StartAgent(FreePort.Next(), "--discovery", "kubernetes");

        await agent.WaitForLineAsync(
            l => l.Contains("Located service members", StringComparison.Ordinal) && l.Contains($"ResolvedTarget({peer}, 8558", StringComparison.Ordinal),
            Bound,
            $"discovery finding the pod {Own}/peer at {peer}");
    }

    private ChildProcess StartAgent(int healthPort, params string[] extraArguments)
    {
        var argv = serviceAccount!.Enter(
        [
            Binaries.Ipnc, "agent", "--node-name", Node,
            "--remoting-host", "127.0.0.1", "--remoting-port", Text(FreePort.Next()),
            "--health-host", "127.0.0.1", "--health-port", Text(healthPort), "--command-port", Text(FreePort.Next()), .. extraArguments,
        ]);
        return ChildProcess.Start(
            argv[0],
            argv[1..],
            XunitLog.To(output),
            new Dictionary<string, string?>(ServiceAccountMount.PodEnvironment(sim.Url))
            {
                ["POD_NAMESPACE"] = null,
                ["IPNC_DISCOVERY_NAMESPACE"] = null,
            },
            label: Node);
    }

    private static string Text(int number) => number.ToString(CultureInfo.InvariantCulture);
}
