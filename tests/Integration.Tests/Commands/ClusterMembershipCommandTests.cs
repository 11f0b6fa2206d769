using IstioPodNetwork.Integration.Tests.Support;
using System.Runtime.InteropServices;
using IstioPodNetwork.Testing;
using Xunit.Abstractions;

namespace IstioPodNetwork.Integration.Tests.Commands;

/// <summary>The commands that change or follow membership, each with agents of its own.</summary>
public sealed class ClusterMembershipCommandTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Cluster_tail_prints_a_join_when_a_second_agent_joins_and_ends_on_SIGINT_with_exit_code_0()
    {
        await using var a = await RunningAgent.StartAsync("node-a", output);
        await Ipnc.MembersUpAsync(a, output, "node-a");
        await using var tail = ChildProcess.Start(Binaries.Ipnc, [a.Endpoint, "cluster", "tail"], output, label: "tail");
        await tail.WaitForLineAsync(l => l.StartsWith($"watching membership events of {a.Address} (1 member)", StringComparison.Ordinal), TimeSpan.FromSeconds(20), "the tail's start notice");

        await using var b = await RunningAgent.StartAsync("node-b", output, seed: a);

        await tail.WaitForLineAsync(l => l.Contains($"  member-joined  {b.Address}  node-b  joining", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "node-b joining");
        await tail.WaitForLineAsync(l => l.Contains($"  member-up  {b.Address}  node-b  up", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "node-b up");
        tail.Signal(PosixSignal.SIGINT);
        Assert.True(await tail.WaitForExitAsync(TimeSpan.FromSeconds(10)), "the tail did not end on SIGINT:\n" + tail.Tail());
        Assert.Equal(0, tail.ExitCode);
        Assert.All(tail.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z  [a-z-]+  ", l));
    }

    [Fact]
    public async Task Cluster_leave_on_one_of_two_agents_removes_it_from_the_others_view_and_its_agent_stops()
    {
        await using var a = await RunningAgent.StartAsync("node-a", output);
        await using var b = await RunningAgent.StartAsync("node-b", output, seed: a);
        await Ipnc.MembersUpAsync(a, output, "node-a", "node-b");

        var leave = await Ipnc.RunAsync(output, b.Endpoint, "cluster", "leave");

        Assert.Equal(0, leave.ExitCode);
        Assert.Equal([$"{b.Address} (node node-b) is leaving the cluster; its agent stops once it has left"], leave.OutputLines);
        await Ipnc.MembersUpAsync(a, output, "node-a");
        Assert.True(await b.Process.WaitForExitAsync(TimeSpan.FromSeconds(20)), "node-b's agent kept running after leaving");
        var show = await Ipnc.RunAsync(output, a.Endpoint, "cluster", "show");
        Assert.DoesNotContain(show.OutputLines, l => l.Contains(b.Address, StringComparison.Ordinal));
        Assert.Equal("Count: 1 member (1 up)", show.OutputLines[^1]);
    }

    [Fact]
    public async Task Cluster_down_of_a_member_marks_it_down_and_its_agent_stops()
    {
        await using var a = await RunningAgent.StartAsync("node-a", output);
        await using var b = await RunningAgent.StartAsync("node-b", output, seed: a);
        await Ipnc.MembersUpAsync(a, output, "node-a", "node-b");

        var down = await Ipnc.RunAsync(output, a.Endpoint, "cluster", "down", b.Address);

        Assert.Equal(0, down.ExitCode);
        Assert.Equal([$"downing {b.Address} (node node-b)"], down.OutputLines);
        await Eventually.HoldsAsync(
            async () => (await Ipnc.RunAsync(output, a.Endpoint, "cluster", "show")).OutputLines.Any(l => System.Text.RegularExpressions.Regex.IsMatch(l, $@"^{b.Address} +node-b +down +")),
            TimeSpan.FromSeconds(10),
            "node-a showing node-b down");
        Assert.True(await b.Process.WaitForExitAsync(TimeSpan.FromSeconds(20)), "node-b's agent kept running after being downed");
    }
}
