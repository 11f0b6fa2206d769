using System.Net;
using IstioPodNetwork.KubeSim.Sandbox;
using IstioPodNetwork.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace IstioPodNetwork.KubeSim.Tests;

/// <summary>Real sandboxes (root): network namespaces, veths, a process and kubelet-like cgroups per pod.</summary>
public sealed class SandboxTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    [Theory]
    [InlineData(CgroupDriver.Cgroupfs)]
    [InlineData(CgroupDriver.Systemd)]
    public async Task A_pod_gets_a_netns_holding_its_IP_and_a_process_in_a_cgroup_carrying_its_UID_and_deleting_the_pod_removes_both(CgroupDriver driver)
    {
        Root.Require("the netns sandbox provider creates network namespaces and cgroups");
        await using var sim = await KubeSimServer.StartAsync(new KubeSimOptions { Sandbox = SandboxKind.Netns, CgroupDriver = driver, Nodes = ["node-a"] });
        using var client = Clients.For(sim);

        var pod = await client.CoreV1.CreateNamespacedPodAsync(Clients.Pod("web"), "default");
        var running = await Eventually.ReturnsAsync(
            async () => await client.CoreV1.ReadNamespacedPodAsync("web", "default") is { Status.Phase: "Running" } p ? p : null,
            Bound,
            "the pod Running");
        var sandbox = sim.FindSandbox("default", "web")!;
        var uid = pod.Metadata.Uid;

        Assert.Equal("node-a", running.Spec.NodeName);
        Assert.Equal(running.Status.PodIP, Assert.Single(sandbox.PodIps).ToString());
        Assert.Contains(sandbox.NetnsName!, await HostTools.NetnsNamesAsync(sim.NamePrefix));
        var addresses = await HostTools.RunAsync("ip", "-n", sandbox.NetnsName!, "-4", "-o", "addr", "show", "dev", "eth0");
        Assert.Contains($"inet {running.Status.PodIP}/24", addresses, StringComparison.Ordinal);
        Assert.Contains($"default via {sim.Nodes[0].Gateway}", await HostTools.RunAsync("ip", "-n", sandbox.NetnsName!, "route"), StringComparison.Ordinal);
        Assert.Contains("state UP", await HostTools.RunAsync("ip", "-n", sandbox.NetnsName!, "-o", "link", "show", "dev", "eth0"), StringComparison.Ordinal);
        Assert.Contains("<LOOPBACK,UP,LOWER_UP>", await HostTools.RunAsync("ip", "-n", sandbox.NetnsName!, "-o", "link", "show", "dev", "lo"), StringComparison.Ordinal);
        var nodeEnd = await HostTools.RunAsync("ip", "-n", sim.Nodes[0].NetnsName!, "-o", "link", "show", "master", "cbr0");
        Assert.Contains("state UP", nodeEnd, StringComparison.Ordinal);
        Assert.Contains("veth", nodeEnd, StringComparison.Ordinal);

        var pid = sandbox.Pid!.Value;
        Assert.Equal(await HostTools.NetnsInodeAsync(sandbox.NetnsPath!), await HostTools.NetnsInodeAsync($"/proc/{pid}/ns/net"));
        var expected = driver == CgroupDriver.Cgroupfs
            ? $"/kubepods/besteffort/pod{uid}/{sandbox.ContainerId}"
            : $"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{uid.Replace('-', '_')}.slice/cri-containerd-{sandbox.ContainerId}.scope";
        var cgroups = await File.ReadAllLinesAsync($"/proc/{pid}/cgroup");
        Assert.Contains(cgroups, line => line.EndsWith($":pids:{expected}", StringComparison.Ordinal));
        Assert.Contains(cgroups, line => line.EndsWith($":name=systemd:{expected}", StringComparison.Ordinal));
        Assert.Contains($"0::{expected}", cgroups);
        Assert.All(Directory.GetFiles($"/proc/{pid}/fd"), fd => Assert.Equal("/dev/null", new FileInfo(fd).LinkTarget));

        await client.CoreV1.DeleteNamespacedPodAsync("web", "default");
        await Eventually.HoldsAsync(async () => (await client.CoreV1.ListNamespacedPodAsync("default")).Items.Count == 0, Bound, "the pod gone");

        Assert.Null(sim.FindSandbox("default", "web"));
        Assert.Empty(await HostTools.NetnsNamesAsync(sim.NamePrefix + "-pod"));
        Assert.False(HostTools.ProcessAlive(pid), $"sandbox process {pid} still alive");
        Assert.Empty(HostTools.CgroupDirectoriesContaining(uid));
        Assert.Empty(HostTools.CgroupDirectoriesContaining(uid.Replace('-', '_')));
    }

    [Fact]
    public async Task A_hostNetwork_pod_gets_its_nodes_InternalIP_and_no_sandbox_while_its_node_has_a_netns()
    {
        Root.Require("the netns sandbox provider creates network namespaces");
        await using var sim = await KubeSimServer.StartAsync(new KubeSimOptions { Sandbox = SandboxKind.Netns, Nodes = ["node-a"] });
        using var client = Clients.For(sim);
        var pod = Clients.Pod("agent");
        pod.Spec.HostNetwork = true;

        await client.CoreV1.CreateNamespacedPodAsync(pod, "kube-system");
        var running = await Eventually.ReturnsAsync(
            async () => await client.CoreV1.ReadNamespacedPodAsync("agent", "kube-system") is { Status.Phase: "Running" } p ? p : null,
            Bound,
            "the pod Running");

        var node = await client.CoreV1.ReadNodeAsync("node-a");
        Assert.Equal(node.Status.Addresses.Single(a => a.Type == "InternalIP").Address, running.Status.PodIP);
        Assert.Equal(sim.Nodes[0].NetnsName, node.Metadata.Annotations["kubesim.io/netns"]);
        Assert.Equal(sim.Nodes[0].PodCidr, node.Spec.PodCIDR);
        Assert.Equal("True", node.Status.Conditions.Single(c => c.Type == "Ready").Status);
        Assert.Null(sim.FindSandbox("kube-system", "agent")!.NetnsName);
        Assert.Equal([sim.Nodes[0].NetnsName!], await HostTools.NetnsNamesAsync(sim.NamePrefix));
    }

    [Fact]
    public async Task Disposing_KubeSim_removes_every_netns_process_and_cgroup_it_made()
    {
        Root.Require("the netns sandbox provider creates network namespaces and cgroups");
        var sim = await KubeSimServer.StartAsync(new KubeSimOptions { Sandbox = SandboxKind.Netns, Nodes = ["node-a", "node-b"] });
        var prefix = sim.NamePrefix;
        var kubeconfig = sim.KubeconfigPath;
        List<PodSandbox> sandboxes;
        using (var client = Clients.For(sim))
        {
            for (var i = 0; i < 4; i++)
            {
                await client.CoreV1.CreateNamespacedPodAsync(Clients.Pod($"p{i}"), "default");
            }

            sandboxes = await Eventually.ReturnsAsync(() => Task.FromResult(sim.Sandboxes.Count == 4 ? sim.Sandboxes.ToList() : null), Bound, "four sandboxes");
            Assert.Equal(6, (await HostTools.NetnsNamesAsync(prefix)).Count);
        }

        await sim.DisposeAsync();

        Assert.Empty(await HostTools.NetnsNamesAsync(prefix));
        Assert.All(sandboxes, s => Assert.False(HostTools.ProcessAlive(s.Pid!.Value), $"sandbox process {s.Pid} still alive"));
        Assert.All(sandboxes, s => Assert.Empty(HostTools.CgroupDirectoriesContaining(s.Uid)));
        Assert.False(File.Exists(kubeconfig), "the temporary kubeconfig is still there");
    }

    [Fact]
    public async Task A_sandbox_that_cannot_be_wired_leaves_no_netns_process_or_cgroup_behind()
    {
        Root.Require("the netns sandbox provider creates network namespaces and cgroups");
        var prefix = "ks" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(2));
        var provider = new NetnsSandboxProvider(prefix, "/sys/fs/cgroup", ["pids", "systemd", "unified"], null, NullLogger.Instance);
        var gateway = IPAddress.Parse("10.254.7.1");
        var nodeNetns = await provider.CreateNodeAsync(new NodePlan("node-a", 0, IPAddress.Parse("10.254.0.10"), gateway, 24, null), CancellationToken.None);
        var node = new SimulatedNode("node-a", IPAddress.Parse("10.254.0.10"), "10.254.7.0/24", gateway, nodeNetns, CgroupDriver.Cgroupfs);
        try
        {
            var uid = Guid.NewGuid().ToString();

            // A /33 is refused by `ip addr add`, after the veth is made and while the pause process is placed.
            var plan = new PodPlan("default", "unwired", uid, "BestEffort", node, IPAddress.Parse("10.254.7.2"), 33);
            await Assert.ThrowsAsync<InvalidOperationException>(() => provider.CreatePodAsync(plan, CancellationToken.None));

            Assert.Empty(await HostTools.NetnsNamesAsync(prefix + "-pod"));
            Assert.Empty(HostTools.CgroupDirectoriesContaining(uid));
            Assert.DoesNotContain(
                Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)),
                process => TryRead(Path.Combine(process, "cgroup"))?.Contains(uid, StringComparison.Ordinal) == true);
        }
        finally
        {
            await provider.RemoveNodeAsync(node);
        }

        Assert.Empty(await HostTools.NetnsNamesAsync(prefix));
    }

    [Fact]
    public async Task A_pause_process_that_cannot_join_its_netns_fails_the_sandbox_with_the_reason_and_is_not_left_running()
    {
        Root.Require("the sandbox helper makes cgroups");
        var name = "ks" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
        var directory = $"/sys/fs/cgroup/pids/{name}";
        try
        {
            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => SandboxShim.StartAsync($"/run/netns/{name}-missing", [directory]));

            Assert.Contains($"joining network namespace /run/netns/{name}-missing failed: No such file or directory", failure.Message, StringComparison.Ordinal);
            Assert.Empty(File.ReadAllText(Path.Combine(directory, "tasks")).Trim());
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory);
            }
        }
    }

    [Fact]
    public async Task A_cgroup_directory_the_pause_process_cannot_join_is_named_in_the_error()
    {
        Root.Require("the sandbox helper makes cgroups");
        var directory = "/sys/fs/cgroup/cpuset/ks" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
        try
        {
            // A cpuset without CPUs takes no process.
            Directory.CreateDirectory(directory);
            File.WriteAllText(Path.Combine(directory, "cpuset.cpus"), "\n");
            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => SandboxShim.StartAsync("/run/netns/never-reached", [directory]));

            Assert.Contains($"joining cgroup directory {directory} failed: No space left on device", failure.Message, StringComparison.Ordinal);
            Assert.Empty(File.ReadAllText(Path.Combine(directory, "tasks")).Trim());
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory);
            }
        }
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
