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
}
