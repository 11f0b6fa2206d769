using System.Net;
using System.Runtime.InteropServices;
using IstioPodNetwork.Testing;
using k8s;
using Xunit.Abstractions;

namespace IstioPodNetwork.KubeSim.Tests;

/// <summary>The `kubesim` executable as other test processes and the demo start it.</summary>
public sealed class ExecutableTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task It_prints_one_ready_line_with_its_URL_serves_the_kubeconfig_it_wrote_and_exits_0_on_SIGINT()
    {
        var port = FreePort.Next();
        var kubeconfig = Path.Combine(Path.GetTempPath(), $"kubesim-{Guid.NewGuid():N}.kubeconfig");
        await using var kubesim = ChildProcess.Start(Binaries.KubeSim, ["--listen", $"127.0.0.1:{port}", "--kubeconfig-out", kubeconfig, "--node", "node-a"], output);

        var ready = await kubesim.WaitForLineAsync(l => l.Contains("ready", StringComparison.Ordinal), Bound, "the ready line");
        Assert.Contains($"http://127.0.0.1:{port}/", ready, StringComparison.Ordinal);
        using (var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig)))
        {
            var node = await client.CoreV1.ReadNodeAsync("node-a");
            Assert.Equal("node-a", node.Metadata.Name);
        }

        kubesim.Signal(PosixSignal.SIGINT);

        Assert.True(await kubesim.WaitForExitAsync(Bound), "kubesim still running after SIGINT");
        Assert.Equal(0, kubesim.ExitCode);
        Assert.Single(kubesim.Lines, l => l.Contains("ready", StringComparison.OrdinalIgnoreCase));
        File.Delete(kubeconfig);
    }

    [Theory]
    [InlineData("--listen", "127.0.0.1")]
    [InlineData("--sandbox", "docker")]
    [InlineData("--listen", "192.0.2.10:6443")]
    [InlineData("--bogus", "x")]
    public async Task An_invalid_flag_stops_it_with_one_line_naming_the_problem_and_exit_code_2(string flag, string value)
    {
        await using var kubesim = ChildProcess.Start(Binaries.KubeSim, [flag, value], output);

        Assert.True(await kubesim.WaitForExitAsync(Bound), "kubesim kept running");
        Assert.Equal(2, kubesim.ExitCode);
        var line = Assert.Single(kubesim.Lines);
        Assert.StartsWith("kubesim: ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("ready", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_netns_sandboxes_SIGTERM_tears_down_every_netns_and_process()
    {
        Root.Require("the netns sandbox provider creates network namespaces and cgroups");
        var prefix = "kt" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(2));
        var kubeconfig = Path.Combine(Path.GetTempPath(), $"kubesim-{Guid.NewGuid():N}.kubeconfig");
        await using var kubesim = ChildProcess.Start(Binaries.KubeSim, ["--kubeconfig-out", kubeconfig, "--node", "node-a", "--sandbox", "netns", "--cgroup-driver", "systemd", "--prefix", prefix], output);
        await kubesim.WaitForLineAsync(l => l.Contains("ready", StringComparison.Ordinal), Bound, "the ready line");
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
        await client.CoreV1.CreateNamespacedPodAsync(Clients.Pod("web"), "default");
        await Eventually.HoldsAsync(async () => (await client.CoreV1.ReadNamespacedPodAsync("web", "default")).Status.Phase == "Running", Bound, "the pod Running");
        using var http = new HttpClient { BaseAddress = new Uri(client.BaseUri.GetLeftPart(UriPartial.Authority)) };
        var sandbox = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync(new Uri("/kubesim/sandboxes/default/web", UriKind.Relative)))!;
        var pid = (int)sandbox["pid"]!;
        Assert.Equal(2, (await HostTools.NetnsNamesAsync(prefix)).Count);
        Assert.True(HostTools.ProcessAlive(pid));

        kubesim.Signal(PosixSignal.SIGTERM);

        Assert.True(await kubesim.WaitForExitAsync(Bound), "kubesim still running after SIGTERM");
        Assert.Equal(0, kubesim.ExitCode);
        Assert.Empty(await HostTools.NetnsNamesAsync(prefix));
        Assert.False(HostTools.ProcessAlive(pid), $"sandbox process {pid} outlived kubesim");
        File.Delete(kubeconfig);
    }

    [Fact]
    public async Task A_node_netns_joined_to_a_test_bridge_reaches_KubeSim_listening_on_that_bridge()
    {
        Root.Require("the test creates a bridge and network namespaces");
        var bridge = "kb" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(2));
        var subnet = await FreeSubnetAsync();
        await HostTools.RunAsync("ip", "link", "add", bridge, "type", "bridge");
        try
        {
            await HostTools.RunAsync("ip", "addr", "add", $"{subnet}.1/24", "dev", bridge);
            await HostTools.RunAsync("ip", "link", "set", bridge, "up");
            await using var sim = await KubeSimServer.StartAsync(new KubeSimOptions
            {
                ListenAddress = IPAddress.Parse($"{subnet}.1"),
                ListenInterface = bridge,
                Sandbox = SandboxKind.Netns,
                Uplink = new UplinkOptions(bridge, $"{subnet}.0/24"),
                Nodes = ["node-a"],
            });
            var node = sim.Nodes[0];
            Assert.Equal($"{subnet}.10", node.InternalIp.ToString());

            // kubectl run inside the node's network namespace, as an agent on that node would talk to the API.
            var cache = Directory.CreateTempSubdirectory("kubectl-cache-");
            var nodes = await HostTools.RunAsync("ip", "netns", "exec", node.NetnsName!, "kubectl", "--kubeconfig", sim.KubeconfigPath, "--cache-dir", cache.FullName, "get", "nodes", "-o", "jsonpath={.items[0].status.addresses[0].address}");
            cache.Delete(recursive: true);

            Assert.Equal($"{subnet}.10", nodes.Trim());
        }
        finally
        {
            await HostTools.RunAsync("ip", "link", "delete", bridge);
        }
    }

    /// <summary>A 10.253.x.0/24 no interface of this machine routes yet (parallel runs pick different ones).</summary>
    private static async Task<string> FreeSubnetAsync()
    {
        var routes = await HostTools.RunAsync("ip", "-4", "route", "show");
        return Enumerable.Range(0, 256).OrderBy(_ => Random.Shared.Next())
            .Select(x => $"10.253.{x}")
            .First(subnet => !routes.Contains(subnet + ".", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Listening_on_a_real_interface_or_the_real_network_is_refused()
    {
        var onReal = await Assert.ThrowsAsync<ArgumentException>(() => KubeSimServer.StartAsync(new KubeSimOptions { ListenAddress = IPAddress.Parse("192.0.2.15"), ListenInterface = "eth0" }));
        var onEth0 = await Assert.ThrowsAsync<ArgumentException>(() => KubeSimServer.StartAsync(new KubeSimOptions { ListenAddress = IPAddress.Parse("10.9.9.9"), ListenInterface = "eth0" }));
        var everywhere = await Assert.ThrowsAsync<ArgumentException>(() => KubeSimServer.StartAsync(new KubeSimOptions { ListenAddress = IPAddress.Any }));

        Assert.Contains("real network", onReal.Message, StringComparison.Ordinal);
        Assert.Contains("eth0", onEth0.Message, StringComparison.Ordinal);
        Assert.Contains("every interface", everywhere.Message, StringComparison.Ordinal);
    }
}
