using System.Collections.Immutable;
using System.Net;
using IstioPodNetwork.Capture.Netns;

namespace IstioPodNetwork.Capture.Tests.Netns;

/// <summary>The finder's logic over a made-up proc root (no root needed): layouts, host netns, oldest process, IP check.</summary>
public sealed class ProcNetnsFinderTests : IDisposable
{
    private const string Uid = "0f3c2a9e-5b1d-4c7a-8e2f-9a6b3c1d2e4f";
    private const string OtherUid = "9d8e7f6a-1b2c-4d3e-8f9a-0b1c2d3e4f5a";
    private static readonly ImmutableArray<IPAddress> PodIps = [IPAddress.Parse("10.1.1.2")];
    private readonly string root = Directory.CreateTempSubdirectory("ipnc-proc-").FullName;

    public ProcNetnsFinderTests() => Process(1, "net:[100]", "0::/init.scope", 1, ip: "10.250.0.1");

    [Fact]
    public async Task A_pod_in_the_cgroupfs_layout_is_found_by_uid()
    {
        Process(42, "net:[200]", $"4:pids:/kubepods/burstable/pod{Uid}/6a1f2e", 500, ip: "10.1.1.2");

        Assert.Equal(new NetnsLookup.Found(Path.Combine(root, "42", "ns", "net"), 42), await Find());
    }

    [Fact]
    public async Task A_pod_in_the_systemd_layout_is_found_by_its_uid_with_underscores()
    {
        Process(43, "net:[200]", $"0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{Uid.Replace('-', '_')}.slice/cri-containerd-6a1f2e.scope", 500, ip: "10.1.1.2");

        Assert.Equal(new NetnsLookup.Found(Path.Combine(root, "43", "ns", "net"), 43), await Find());
    }

    [Fact]
    public async Task The_oldest_process_of_the_pod_wins()
    {
        Process(60, "net:[200]", $"1:name=systemd:/kubepods/pod{Uid}/app", 900, ip: "10.1.1.2");
        Process(61, "net:[200]", $"1:name=systemd:/kubepods/pod{Uid}/pause", 400, ip: "10.1.1.2");

        Assert.Equal(new NetnsLookup.Found(Path.Combine(root, "61", "ns", "net"), 61), await Find());
    }

    [Fact]
    public async Task A_pod_process_in_the_host_netns_is_skipped_even_when_it_is_the_oldest()
    {
        Process(50, "net:[100]", $"4:pids:/kubepods/pod{Uid}/conmon", 10, ip: "10.1.1.2");
        Process(51, "net:[200]", $"4:pids:/kubepods/pod{Uid}/pause", 500, ip: "10.1.1.2");

        Assert.Equal(new NetnsLookup.Found(Path.Combine(root, "51", "ns", "net"), 51), await Find());
    }

    [Fact]
    public async Task A_process_whose_netns_lacks_the_pod_ip_is_rejected()
    {
        Process(70, "net:[300]", $"4:pids:/kubepods/pod{Uid}/stray", 100, ip: "10.9.9.9");
        Process(71, "net:[200]", $"4:pids:/kubepods/pod{Uid}/pause", 500, ip: "10.1.1.2");

        Assert.Equal(new NetnsLookup.Found(Path.Combine(root, "71", "ns", "net"), 71), await Find());
    }

    [Fact]
    public async Task Only_processes_whose_netns_lacks_the_pod_ip_give_not_yet()
    {
        Process(70, "net:[300]", $"4:pids:/kubepods/pod{Uid}/stray", 100, ip: "10.9.9.9");

        Assert.Contains("no network namespace of theirs holds a pod IP", Assert.IsType<NetnsLookup.NotYet>(await Find()).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pod_without_a_process_is_not_yet()
    {
        Process(80, "net:[200]", "4:pids:/kubepods/pod11111111-2222-3333-4444-555555555555/x", 100, ip: "10.1.1.2");

        Assert.Contains("no process of pod", Assert.IsType<NetnsLookup.NotYet>(await Find()).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pod_without_an_ip_is_not_yet()
    {
        var result = await new ProcNetnsFinder(root).FindAsync(Uid, [], CancellationToken.None);

        Assert.Contains("has no IP yet", Assert.IsType<NetnsLookup.NotYet>(result).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_IPv6_pod_ip_is_checked_in_if_inet6()
    {
        Process(90, "net:[200]", $"4:pids:/kubepods/pod{Uid}/pause", 100, ip: "10.1.1.2", ipv6Hex: "fd000001000000000000000000000002");

        var found = await new ProcNetnsFinder(root).FindAsync(Uid, [IPAddress.Parse("fd00:1::2")], CancellationToken.None);

        Assert.IsType<NetnsLookup.Found>(found);
    }

    [Fact]
    public async Task An_unreadable_proc_root_is_a_failure_not_an_exception()
    {
        var result = await new ProcNetnsFinder(Path.Combine(root, "missing")).FindAsync(Uid, PodIps, CancellationToken.None);

        Assert.IsType<NetnsLookup.Failed>(result);
    }

    [Fact]
    public async Task A_process_that_joins_its_pods_cgroup_after_a_scan_saw_it_outside_is_found_by_the_next_scan()
    {
        var finder = new ProcNetnsFinder(root);
        Process(70, "net:[200]", "0::/user.slice", 500, ip: "10.1.1.2");
        Assert.IsType<NetnsLookup.NotYet>(await finder.FindAsync(Uid, PodIps, CancellationToken.None));

        File.WriteAllText(Path.Combine(root, "70", "cgroup"), $"4:pids:/kubepods/besteffort/pod{Uid}/6a1f2e\n");

        Assert.Equal(new NetnsLookup.Found(Path.Combine(root, "70", "ns", "net"), 70), await finder.FindAsync(Uid, PodIps, CancellationToken.None));
    }

    [Fact]
    public async Task A_pid_seen_in_one_pod_that_comes_back_in_another_netns_is_read_again()
    {
        var finder = new ProcNetnsFinder(root);
        Process(71, "net:[200]", $"4:pids:/kubepods/besteffort/pod{OtherUid}/6a1f2e", 500, ip: "10.1.1.9");
        Assert.IsType<NetnsLookup.Found>(await finder.FindAsync(OtherUid, [IPAddress.Parse("10.1.1.9")], CancellationToken.None));

        Directory.Delete(Path.Combine(root, "71"), recursive: true);
        Process(71, "net:[201]", $"4:pids:/kubepods/besteffort/pod{Uid}/7b2e3f", 600, ip: "10.1.1.2");

        Assert.Equal(new NetnsLookup.Found(Path.Combine(root, "71", "ns", "net"), 71), await finder.FindAsync(Uid, PodIps, CancellationToken.None));
        Assert.IsType<NetnsLookup.NotYet>(await finder.FindAsync(OtherUid, [IPAddress.Parse("10.1.1.9")], CancellationToken.None));
    }

    [Fact]
    public async Task What_a_scan_read_of_a_pod_process_is_trusted_for_a_bounded_time_only()
    {
        var clock = new ManualClock();
        var finder = new ProcNetnsFinder(root, clock);
        Process(72, "net:[200]", $"4:pids:/kubepods/besteffort/pod{OtherUid}/6a1f2e", 500, ip: "10.1.1.2");
        Assert.IsType<NetnsLookup.Found>(await finder.FindAsync(OtherUid, PodIps, CancellationToken.None));

        // Same PID, same netns, another pod: only a reused PID in a reused netns inode looks like this.
        File.WriteAllText(Path.Combine(root, "72", "cgroup"), $"4:pids:/kubepods/besteffort/pod{Uid}/7b2e3f\n");
        Assert.IsType<NetnsLookup.NotYet>(await finder.FindAsync(Uid, PodIps, CancellationToken.None));
        clock.Advance(ProcNetnsFinder.KnownPodProcessTrust);

        Assert.Equal(new NetnsLookup.Found(Path.Combine(root, "72", "ns", "net"), 72), await finder.FindAsync(Uid, PodIps, CancellationToken.None));
    }

    [Fact]
    public async Task A_pod_process_that_exited_is_no_longer_found()
    {
        var finder = new ProcNetnsFinder(root);
        Process(73, "net:[200]", $"4:pids:/kubepods/besteffort/pod{Uid}/6a1f2e", 500, ip: "10.1.1.2");
        Assert.IsType<NetnsLookup.Found>(await finder.FindAsync(Uid, PodIps, CancellationToken.None));

        Directory.Delete(Path.Combine(root, "73"), recursive: true);

        Assert.IsType<NetnsLookup.NotYet>(await finder.FindAsync(Uid, PodIps, CancellationToken.None));
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private Task<NetnsLookup> Find() => new ProcNetnsFinder(root).FindAsync(Uid, PodIps, CancellationToken.None);

    private void Process(int pid, string netns, string cgroup, ulong startTime, string ip, string? ipv6Hex = null)
    {
        var directory = Path.Combine(root, pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(Path.Combine(directory, "ns"));
        Directory.CreateDirectory(Path.Combine(directory, "net"));
        File.CreateSymbolicLink(Path.Combine(directory, "ns", "net"), netns);
        File.WriteAllText(Path.Combine(directory, "cgroup"), cgroup + "\n");
        var fields = Enumerable.Repeat("0", 50).ToArray();
        fields[19] = startTime.ToString(System.Globalization.CultureInfo.InvariantCulture);
        File.WriteAllText(Path.Combine(directory, "stat"), $"{pid} (a (tricky) name) S " + string.Join(' ', fields.Skip(1)));
        File.WriteAllText(Path.Combine(directory, "net", "fib_trie"), $"Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- {ip}\n        /32 host LOCAL\n");
        File.WriteAllText(Path.Combine(directory, "net", "if_inet6"), (ipv6Hex ?? "00000000000000000000000000000001") + " 01 80 10 80       lo\n");
    }

    private sealed class ManualClock : TimeProvider
    {
        private long ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => ticks;

        public void Advance(TimeSpan by) => ticks += by.Ticks;
    }
}
