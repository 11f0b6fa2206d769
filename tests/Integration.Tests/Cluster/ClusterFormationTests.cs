using System.Globalization;
using IstioPodNetwork.Integration.Tests.Support;
using Xunit.Abstractions;

namespace IstioPodNetwork.Integration.Tests.Cluster;

public sealed class ClusterFormationTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Formation = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Three_agents_in_their_own_node_netns_find_each_other_through_the_API_and_form_one_cluster()
    {
        await using var cluster = await ClusterUnderTest.StartAsync(3, output);

        foreach (var node in cluster.Agents.Keys)
        {
            await cluster.MembersUpAsync(node, Formation, "node-1", "node-2", "node-3");
        }

        var show = await cluster.IpncAsync("node-2", "cluster", "show");
        Assert.Equal(0, show.ExitCode);
        Assert.Equal(3, show.OutputLines.Count(l => l.Contains(" up ", StringComparison.Ordinal) && l.Contains("reachable", StringComparison.Ordinal)));
        Assert.Contains(cluster.Agents["node-1"].Process.Lines, l => l.Contains("Cluster bootstrap: finding peers by", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Once_every_agent_the_DaemonSet_wants_has_answered_the_lowest_addressed_one_forms_the_cluster_without_waiting_out_the_stable_margin()
    {
        // A margin far longer than the bound: only the DaemonSet's count lets the cluster form in time.
        await using var cluster = await ClusterUnderTest.StartAsync(3, output, stableMargin: TimeSpan.FromMinutes(10));

        foreach (var node in cluster.Agents.Keys)
        {
            await cluster.MembersUpAsync(node, Formation, "node-1", "node-2", "node-3");
        }

        Assert.Contains(
            cluster.Agents["node-1"].Process.Lines,
            l => l.Contains("All 3 agents DaemonSet istio-pod-network-controller wants are found and have answered", StringComparison.Ordinal));
    }

    [Fact]
    public async Task When_the_DaemonSet_cannot_be_read_the_stable_margin_is_waited_out_and_the_reason_logged_once()
    {
        var margin = TimeSpan.FromSeconds(3);
        await using var cluster = await ClusterUnderTest.StartAsync(3, output, stableMargin: margin, startAgents: false);
        cluster.Sim.Faults.Forbid("daemonsets.apps");
        await cluster.StartAgentsAsync(cluster.Nodes);

        foreach (var node in cluster.Agents.Keys)
        {
            await cluster.MembersUpAsync(node, Formation, "node-1", "node-2", "node-3");
        }

        var lines = cluster.Agents["node-1"].Process.Lines;
        Assert.Single(lines, l => l.Contains("Could not read how many agents the DaemonSet wants", StringComparison.Ordinal)
            && l.Contains("HTTP 403 Forbidden: daemonsets.apps \"istio-pod-network-controller\" is forbidden", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("without waiting out the stable margin", StringComparison.Ordinal));
        var found = TimeOf(lines.First(l => l.Contains("Located service members", StringComparison.Ordinal)));
        var formed = TimeOf(lines.Single(l => l.Contains("Initiating new cluster, self-joining", StringComparison.Ordinal)));
        Assert.True(formed - found >= margin, $"formed {formed - found} after the agents were found; the margin is {margin}");
    }

    /// <summary>The time of day an agent's text log line starts with ("[HH:mm:ss.fff INF] …").</summary>
    private static TimeSpan TimeOf(string line) =>
        TimeSpan.ParseExact(line.AsSpan(1, 12), @"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture);
}
