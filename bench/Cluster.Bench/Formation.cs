using System.Diagnostics;
using IstioPodNetwork.Testing;

namespace IstioPodNetwork.Cluster.Bench;

/// <summary>
/// One formation, all from the moment the agents are started (all at once): when every command
/// endpoint listened (process start and host build), when the lowest-addressed agent decided to form
/// the cluster (bootstrap's self-join), when the last agent logged itself Up, and when every agent saw all
/// N members Up and reachable (the figure); and the CPU time the agents and this process (KubeSim, the
/// probes) used meanwhile, since on 2 cores N agents starting at once queue for the CPU.
/// </summary>
internal sealed record FormationRun(TimeSpan Started, TimeSpan? SelfJoined, TimeSpan LastUp, TimeSpan Formed, TimeSpan AgentCpu, TimeSpan BenchCpu);

internal static class Formation
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);
    private const string UpLine = "is Up in the cluster";

    /// <summary>Starts every agent of <paramref name="cluster"/> at once and times the cluster forming; the agents are left running.</summary>
    public static async Task<FormationRun> MeasureAsync(AgentCluster cluster)
    {
        var nodes = cluster.Nodes;
        var start = DateTime.Now;
        var clock = Stopwatch.StartNew();
        var benchCpu = Environment.CpuUsage.TotalTime;
        var agents = await cluster.StartAgentsAsync(nodes);
        var formed = await Task.WhenAll(agents.Select(async agent =>
        {
            // Only an agent that is Up itself can see all N Up; reading its /metrics before costs it ~4 ms of
            // CPU a time (process metrics), CPU the agents starting at once are short of.
            await agent.Process.WaitForLineAsync(l => l.Contains(UpLine, StringComparison.Ordinal), Bound, $"{agent.Node} up");
            await Eventually.HoldsAsync(() => AgentProbes.SeesUpAsync(agent, nodes.Count), Bound, $"{agent.Node} seeing {nodes.Count} members up", TimeSpan.FromMilliseconds(250));
            return clock.Elapsed;
        }));
        var agentCpu = AgentProbes.CpuTime(agents);
        benchCpu = Environment.CpuUsage.TotalTime - benchCpu;
        return new FormationRun(
            agents.Max(a => Logged(a, "Command endpoint listening", start)),
            agents.Select(a => AgentProbes.Logged(a, "Initiating new cluster, self-joining", start)).Min(),
            agents.Max(a => Logged(a, UpLine, start)),
            formed.Max(),
            agentCpu,
            benchCpu);
    }

    /// <summary>Checks the figure the way an operator would: `ipnc cluster show -o json` on every agent lists all N members Up.</summary>
    public static async Task ConfirmWithClientAsync(AgentCluster cluster)
    {
        foreach (var node in cluster.Nodes)
        {
            await cluster.MembersUpAsync(node, TimeSpan.FromSeconds(30), [.. cluster.Nodes]);
        }
    }

    private static TimeSpan Logged(NodeAgent agent, string text, DateTime start) =>
        AgentProbes.Logged(agent, text, start) ?? throw new InvalidOperationException($"{agent.Node} never logged \"{text}\"; last lines:\n{agent.Process.Tail()}");
}
