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
}
