using IstioPodNetwork.Testing;
using Xunit.Abstractions;

namespace IstioPodNetwork.Integration.Tests.Support;

/// <summary>The multi-node harness (tests/Shared/Cluster) as the cluster tests run it: fast cluster timings, fast pod retries, agents' lines in the test output.</summary>
public static class ClusterUnderTest
{
    public static Task<AgentCluster> StartAsync(int nodes, ITestOutputHelper output, TimeSpan? stableMargin = null, bool startAgents = true)
    {
        var options = new AgentClusterOptions { Nodes = nodes, AgentArguments = NodeUnderTest.FastRetries, StartAgents = startAgents };
        return AgentCluster.StartAsync(stableMargin is { } margin ? options with { StableMargin = margin } : options, XunitLog.To(output));
    }
}
