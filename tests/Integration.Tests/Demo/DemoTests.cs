using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using IstioPodNetwork.Testing;
using Xunit.Abstractions;

namespace IstioPodNetwork.Integration.Tests.Demo;

/// <summary>
/// `make demo`'s script end to end, with the binaries built next to the tests: real kubesim and agent processes,
/// real sandboxes, real kubectl, real probes. What it started must be gone afterwards, whether it ends or is stopped.
/// </summary>
public sealed partial class DemoTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task The_demo_initializes_bookinfo_proves_capture_and_leaves_nothing_behind()
    {
        Root.Require("the demo makes network namespaces and iptables rules");
        var prefix = NewPrefix();
        await using var demo = Start(prefix);

        Assert.True(await demo.WaitForExitAsync(Bound), $"the demo did not finish within {Bound.TotalSeconds:0} s");

        var lines = demo.Lines;
        Assert.Equal(0, demo.ExitCode);
        Assert.Contains(lines, l => InitializedLine().IsMatch(l));
        Assert.Contains(lines, l => l.EndsWith("6 pods (6 Initialized)", StringComparison.Ordinal));
        Assert.Contains(lines, l => OutboundCaptured().IsMatch(l));
        Assert.Contains(lines, l => l.Contains(" as uid 1337 gid 1337: not captured, ", StringComparison.Ordinal));
        Assert.Contains(lines, l => InboundCaptured().IsMatch(l));
        Assert.Contains("temporary files removed; network namespaces left behind: 0", lines);
        AssertNothingLeft(demo, prefix);
    }

    [Fact]
    public async Task Interrupting_the_demo_stops_what_it_started_and_removes_what_it_made()
    {
        Root.Require("the demo makes network namespaces and iptables rules");
        var prefix = NewPrefix();
        await using var demo = Start(prefix);
        await demo.WaitForLineAsync(l => l.StartsWith("==> Watching", StringComparison.Ordinal), Bound, "the pods being watched");
        Assert.Contains(NetnsNames(), n => n.StartsWith(prefix + "-", StringComparison.Ordinal));

        // Ctrl-C is SIGINT; a shell started with SIGINT ignored (a background test run) cannot trap it, and SIGTERM takes the same trap.
        var signal = IgnoresSigint(demo.Id) ? PosixSignal.SIGTERM : PosixSignal.SIGINT;
        output.WriteLine($"sending {signal}");
        demo.Signal(signal);

        Assert.True(await demo.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the interrupted demo did not finish tearing down within 60 s");
        Assert.Equal(130, demo.ExitCode);
        Assert.Contains("demo: interrupted; everything it started is stopped and removed", demo.Lines);
        AssertNothingLeft(demo, prefix);
    }

    private ChildProcess Start(string prefix) =>
        ChildProcess.Start(
            RepoRoot.File("scripts", "demo.sh"),
            [],
            output,
            new Dictionary<string, string?> { ["IPNC"] = Binaries.Ipnc, ["KUBESIM"] = Binaries.KubeSim, ["DEMO_PREFIX"] = prefix },
            label: "demo");

    /// <summary>Its processes are gone, its network namespaces and its temporary directory too.</summary>
    private static void AssertNothingLeft(ChildProcess demo, string prefix)
    {
        var lines = demo.Lines;
        foreach (var started in lines.Select(l => StartedProcess().Match(l)).Where(m => m.Success))
        {
            var pid = int.Parse(started.Groups["pid"].Value, CultureInfo.InvariantCulture);
            Assert.False(Directory.Exists($"/proc/{pid}"), $"{started.Groups["name"].Value} (pid {pid}) is still running");
        }

        Assert.Contains(lines, l => l.StartsWith("kubesim (pid ", StringComparison.Ordinal));
        Assert.DoesNotContain(NetnsNames(), n => n.StartsWith(prefix + "-", StringComparison.Ordinal));
        var workDirectory = lines.Select(l => WorkDirectory().Match(l)).First(m => m.Success).Value;
        Assert.False(Directory.Exists(workDirectory), $"{workDirectory} was left behind");
    }

    private static string NewPrefix() => "ipd" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2));

    private static string[] NetnsNames() =>
        Directory.Exists("/run/netns") ? [.. Directory.GetFiles("/run/netns").Select(Path.GetFileName).OfType<string>()] : [];

    private static bool IgnoresSigint(int pid)
    {
        var ignored = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("SigIgn:", StringComparison.Ordinal))["SigIgn:".Length..].Trim();
        return (ulong.Parse(ignored, NumberStyles.HexNumber, CultureInfo.InvariantCulture) & (1UL << 1)) != 0;
    }

    [GeneratedRegex(@"^all 6 pods initialized [\d.]+ s after kubectl apply$")]
    private static partial Regex InitializedLine();

    [GeneratedRegex(@"^outbound to (?<to>[\d.]+:9080) as uid 1000 gid 1000: captured, landed on the proxy port \(127\.0\.0\.1:15001\) with original destination \k<to>$")]
    private static partial Regex OutboundCaptured();

    [GeneratedRegex(@"^inbound to (?<to>(?<ip>[\d.]+):9080) from /run/netns/\S+-node-node-a: captured, landed on the proxy port \(\k<ip>:15006\) with original destination \k<to>$")]
    private static partial Regex InboundCaptured();

    [GeneratedRegex(@"^(?<name>kubesim|agent) \(pid (?<pid>\d+)\)")]
    private static partial Regex StartedProcess();

    [GeneratedRegex(@"/tmp/ipnc-demo\.[A-Za-z0-9]+")]
    private static partial Regex WorkDirectory();
}
