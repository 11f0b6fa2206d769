using System.Globalization;
using System.Net;
using IstioPodNetwork.Capture.Netns;
using IstioPodNetwork.Capture.Tests.Infrastructure;
using IstioPodNetwork.Testing;

namespace IstioPodNetwork.Capture.Tests.Netns;

/// <summary>
/// The finder against the real /proc: a `sleep` started in a netns the test made (holding the pod IP on a
/// veth), moved into a cgroup named like kubelet's (pids hierarchy for cgroupfs, name=systemd for systemd).
/// </summary>
public sealed class NetnsFinderOnThisMachineTests
{
    [Fact]
    public async Task A_pod_process_in_a_cgroupfs_pod_cgroup_is_found_in_its_netns()
    {
        var uid = Guid.NewGuid().ToString();
        await using var pod = await StandInPod.StartAsync("/sys/fs/cgroup/pids", $"kubepods/burstable/pod{uid}/0a1b2c3d", holdsPodIp: true);

        var result = await new ProcNetnsFinder("/proc").FindAsync(uid, [IPAddress.Parse(pod.Ip)], CancellationToken.None);

        Assert.Equal(new NetnsLookup.Found($"/proc/{pod.Pid}/ns/net", pod.Pid), result);
    }

    [Fact]
    public async Task A_pod_process_in_a_systemd_pod_slice_is_found_in_its_netns()
    {
        var uid = Guid.NewGuid().ToString();
        await using var pod = await StandInPod.StartAsync(
            "/sys/fs/cgroup/systemd", $"kubepods-burstable-pod{uid.Replace('-', '_')}.slice/cri-containerd-0a1b2c3d.scope", holdsPodIp: true);

        var result = await new ProcNetnsFinder("/proc").FindAsync(uid, [IPAddress.Parse(pod.Ip)], CancellationToken.None);

        Assert.Equal(new NetnsLookup.Found($"/proc/{pod.Pid}/ns/net", pod.Pid), result);
    }

    [Fact]
    public async Task A_pod_process_whose_netns_lacks_the_pod_ip_is_rejected()
    {
        var uid = Guid.NewGuid().ToString();
        await using var pod = await StandInPod.StartAsync("/sys/fs/cgroup/pids", $"kubepods/pod{uid}/0a1b2c3d", holdsPodIp: false);

        var result = await new ProcNetnsFinder("/proc").FindAsync(uid, [IPAddress.Parse(pod.Ip)], CancellationToken.None);

        Assert.Contains($"pids {pod.Pid}", Assert.IsType<NetnsLookup.NotYet>(result).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pod_with_no_process_is_not_yet()
    {
        Root.Require("reads every process's cgroup and netns");

        var result = await new ProcNetnsFinder("/proc").FindAsync(Guid.NewGuid().ToString(), [IPAddress.Parse("10.1.1.2")], CancellationToken.None);

        Assert.IsType<NetnsLookup.NotYet>(result);
    }

    /// <summary>A sleep in a fresh netns (the pod IP on a veth when asked), inside a kubelet-like cgroup under a per-run directory.</summary>
    private sealed class StandInPod : IAsyncDisposable
    {
        private readonly List<string> cgroups;
        private readonly ChildProcess process;
        private readonly TestNetns peer;

        private StandInPod(TestNetns netns, TestNetns peer, ChildProcess process, List<string> cgroups, string ip)
        {
            Netns = netns;
            this.peer = peer;
            this.process = process;
            this.cgroups = cgroups;
            Ip = ip;
        }

        public TestNetns Netns { get; }

        public string Ip { get; }

        public int Pid => process.Id;

        public static async Task<StandInPod> StartAsync(string hierarchy, string podPath, bool holdsPodIp)
        {
            Root.Require("creates cgroups and network namespaces");
            var netns = await TestNetns.CreateAsync();
            var peer = await TestNetns.CreateAsync();
            var subnet = TestSubnets.NextV4();
            await netns.RunAsync("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "veth0", "netns", peer.Name);
            await netns.RunAsync("ip", "addr", "add", (holdsPodIp ? subnet + ".2" : subnet + ".3") + "/24", "dev", "eth0");

            var cgroups = new List<string>();
            var path = Path.Combine(hierarchy, TestNetns.RunPrefix + "-" + Guid.NewGuid().ToString("N")[..8]);
            cgroups.Add(path);
            foreach (var segment in podPath.Split('/'))
            {
                path = Path.Combine(path, segment);
                cgroups.Add(path);
            }

            foreach (var cgroup in cgroups)
            {
                Directory.CreateDirectory(cgroup);
            }

            var process = ChildProcess.Start("nsenter", ["--net=" + netns.Path, "sleep", "60"]);
            await File.WriteAllTextAsync(Path.Combine(path, "cgroup.procs"), process.Id.ToString(CultureInfo.InvariantCulture));
            await Eventually.HoldsAsync(
                () => File.ReadAllText($"/proc/{process.Id}/cgroup").Contains(podPath, StringComparison.Ordinal)
                    && File.ReadAllText($"/proc/{process.Id}/comm").Trim() == "sleep",
                TimeSpan.FromSeconds(5),
                "the stand-in pod process in its cgroup and netns");
            return new StandInPod(netns, peer, process, cgroups, subnet + ".2");
        }

        public async ValueTask DisposeAsync()
        {
            await process.DisposeAsync();
            foreach (var cgroup in Enumerable.Reverse(cgroups))
            {
                await Eventually.HoldsAsync(
                    () =>
                    {
                        Directory.Delete(cgroup);
                        return true;
                    },
                    TimeSpan.FromSeconds(5),
                    "removing cgroup " + cgroup);
            }

            await Netns.DisposeAsync();
            await peer.DisposeAsync();
        }
    }
}
