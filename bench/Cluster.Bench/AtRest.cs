using System.Diagnostics;
using IstioPodNetwork.Host.Configuration;
using IstioPodNetwork.KubeSim;
using IstioPodNetwork.Testing;

namespace IstioPodNetwork.Cluster.Bench;

/// <summary>
/// One cluster at rest: the API requests its agents made from start until all were ready, the
/// requests over a window with nothing changing, the watches they hold open, the CPU the agents used
/// over the window, and each agent's resident memory at its end.
/// </summary>
internal sealed record AtRestRun(
    NamespaceWatch Mode,
    int Agents,
    KubeSimRequests ToReady,
    KubeSimRequests Window,
    TimeSpan WindowLength,
    int OpenWatches,
    bool Quiet,
    TimeSpan AgentCpu,
    TimeSpan AgentCpuSecondHalf,
    IReadOnlyList<AgentMemory> Memory)
{
    public double PerMinute => Window.Total / WindowLength.TotalMinutes;

    /// <summary>The agents' CPU use over the window, all together, in per cent of one core.</summary>
    public double CpuPercent => 100 * AgentCpu / WindowLength;

    /// <summary>
    /// The same over the window's second half. The window opens soon after start-up, and the whole-window
    /// figure falls as the window grows (10 agents: 58.8 % over 60 s, 40.6 % over 120 s): its first part still
    /// carries the start-up's tail. The second half is nearer to what agents at rest cost.
    /// </summary>
    public double SecondHalfCpuPercent => 100 * AgentCpuSecondHalf / (WindowLength / 2);
}

internal static class AtRest
{
    private const int Nodes = 10;
    private const int PodsPerNode = 2;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan QuietFor = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan QuietBound = TimeSpan.FromSeconds(30);

    public static async Task<AtRestRun> MeasureAsync(NamespaceWatch mode, TimeSpan window, Action<string>? log, CancellationToken stop)
    {
        await using var cluster = await AgentCluster.StartAsync(
            new AgentClusterOptions { Nodes = Nodes, StartAgents = false, FastClusterTimings = false, NamespaceWatch = mode }, log);
        var beforeAgents = cluster.Sim.Requests;
        var agents = await cluster.StartAgentsAsync(cluster.Nodes);
        await Task.WhenAll(agents.Select(agent => Eventually.HoldsAsync(() => AgentProbes.SeesUpAsync(agent, Nodes), Bound, $"{agent.Node} seeing {Nodes} members up")));
        // Ready: Up, pod watch synced, opted-in namespaces known. Only the agents have used the API so far.
        await Task.WhenAll(agents.Select(agent => Eventually.HoldsAsync(() => AgentProbes.ReadyAsync(agent), Bound, $"{agent.Node} ready")));
        var toReady = cluster.Sim.Requests.Since(beforeAgents);

        await cluster.CreateNamespaceAsync("bench", initialize: "true");
        var pods = cluster.Nodes.SelectMany(node => Enumerable.Range(1, PodsPerNode).Select(i => (Node: node, Name: $"{node}-{i}"))).ToList();
        foreach (var (node, name) in pods)
        {
            await cluster.CreatePodAsync("bench", name, node);
        }

        await cluster.AwaitInitializedAsync("bench", pods.Select(p => p.Name), Bound);
        // The agents finish each pod with a status patch and an Event: let that settle before the window opens.
        var quiet = await QuietAsync(cluster.Sim, stop);

        var before = cluster.Sim.Requests;
        var openWatches = cluster.Sim.OpenWatches;
        var cpuAtStart = AgentProbes.CpuTime(agents);
        var clock = Stopwatch.StartNew();
        await Task.Delay(window / 2, stop);
        var cpuAtHalf = AgentProbes.CpuTime(agents);
        await Task.Delay(window - clock.Elapsed, stop);
        var during = cluster.Sim.Requests.Since(before);
        var length = clock.Elapsed;
        var cpuAtEnd = AgentProbes.CpuTime(agents);
        var memory = agents.Select(AgentProbes.Memory).ToList();
        if (agents.FirstOrDefault(a => a.Process.HasExited) is { } gone)
        {
            throw new InvalidOperationException($"{gone.Node}'s agent exited during the window; last lines:\n{gone.Process.Tail()}");
        }

        return new AtRestRun(mode, Nodes, toReady, during, length, openWatches, quiet, cpuAtEnd - cpuAtStart, cpuAtEnd - cpuAtHalf, memory);
    }

    /// <summary>Waits (bounded) until no API request has arrived for <see cref="QuietFor"/>; false if that never happened.</summary>
    private static async Task<bool> QuietAsync(KubeSimServer sim, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        var last = sim.Requests.Total;
        while (clock.Elapsed < QuietBound)
        {
            await Task.Delay(QuietFor, stop);
            var now = sim.Requests.Total;
            if (now == last)
            {
                return true;
            }

            last = now;
        }

        return false;
    }
}
