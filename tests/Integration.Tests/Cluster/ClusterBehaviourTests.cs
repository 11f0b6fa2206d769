using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using IstioPodNetwork.Integration.Tests.Support;
using IstioPodNetwork.Kube;
using IstioPodNetwork.Testing;
using k8s;
using k8s.Models;
using Xunit.Abstractions;

namespace IstioPodNetwork.Integration.Tests.Cluster;

/// <summary>Three real agents, each in its own node netns, doing the cluster's work and surviving its failures.</summary>
public sealed partial class ClusterBehaviourTests(ITestOutputHelper output)
{
    private static readonly string[] AllNodes = ["node-1", "node-2", "node-3"];
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Each_nodes_pods_are_initialized_by_its_own_agent_any_agent_lists_them_all_and_a_leaving_agent_is_gone_from_the_others()
    {
        await using var cluster = await FormedClusterAsync();
        await cluster.CreateNamespaceAsync("mesh", initialize: "true");
        foreach (var node in AllNodes)
        {
            await cluster.CreatePodAsync("mesh", $"{node}-a", node);
            await cluster.CreatePodAsync("mesh", $"{node}-b", node);
        }

        await cluster.AwaitInitializedAsync("mesh", AllNodes.SelectMany(n => new[] { $"{n}-a", $"{n}-b" }), Settle);
        foreach (var (node, agent) in cluster.Agents)
        {
            // The marks reach the API just before the agent logs the transition: wait for the log, then compare.
            List<string> InitializedHere() => agent.Process.Lines.Where(l => l.Contains("-> Initialized", StringComparison.Ordinal)).Select(PodOf).Order().ToList();
            await Eventually.HoldsAsync(() => InitializedHere().Count >= 2, TimeSpan.FromSeconds(10), $"{node}'s agent logging its pods initialized");
            Assert.Equal([$"mesh/{node}-a", $"mesh/{node}-b"], InitializedHere());
        }

        foreach (var node in AllNodes)
        {
            await Eventually.HoldsAsync(
                async () =>
                {
                    var pods = (await cluster.IpncAsync(node, "pods", "-o", "json")).Json.GetProperty("pods").EnumerateArray().ToList();
                    return pods.Count == 6 && pods.All(p => p.GetProperty("state").GetString() == "Initialized"
                        && p.GetProperty("name").GetString()!.StartsWith(p.GetProperty("node").GetString()!, StringComparison.Ordinal));
                },
                TimeSpan.FromSeconds(20),
                $"ipnc pods on {node} listing all six pods with their nodes");
        }

        var remote = await cluster.IpncAsync("node-1", "pod", "describe", "mesh/node-3-a");
        Assert.Equal(0, remote.ExitCode);
        Assert.Contains(remote.OutputLines, l => l.StartsWith("node:", StringComparison.Ordinal) && l.EndsWith("node-3", StringComparison.Ordinal));
        Assert.Contains(remote.OutputLines, l => l.Contains("Annotating", StringComparison.Ordinal) && l.Contains("Initialized", StringComparison.Ordinal));

        var leave = await cluster.IpncAsync("node-2", "cluster", "leave");
        Assert.Equal(0, leave.ExitCode);
        Assert.True(await cluster.Agents["node-2"].Process.WaitForExitAsync(TimeSpan.FromSeconds(30)), "the leaving agent did not stop");
        await cluster.MembersUpAsync("node-1", Settle, "node-1", "node-3");
        await cluster.MembersUpAsync("node-3", Settle, "node-1", "node-3");
    }

    [Fact]
    public async Task A_killed_agent_is_downed_by_the_others_who_keep_working_and_once_restarted_it_rejoins_and_finishes_its_pods_programming_none_twice()
    {
        await using var cluster = await FormedClusterAsync();
        await cluster.CreateNamespaceAsync("mesh", initialize: "true");
        foreach (var node in AllNodes)
        {
            await cluster.CreatePodAsync("mesh", $"{node}-before", node);
        }

        await cluster.AwaitInitializedAsync("mesh", AllNodes.Select(n => $"{n}-before"), Settle);
        var killed = cluster.Agents["node-3"];
        killed.Process.KillHard();

        await cluster.MembersUpAsync("node-1", Settle, "node-1", "node-2");
        await cluster.CreatePodAsync("mesh", "node-1-during", "node-1");
        await cluster.CreatePodAsync("mesh", "node-3-during", "node-3");
        await cluster.AwaitInitializedAsync("mesh", ["node-1-during"], Settle);
        Assert.False(AgentCluster.IsInitialized(await cluster.Client.CoreV1.ReadNamespacedPodAsync("node-3-during", "mesh")), "no agent ran on node-3");

        var restarted = await cluster.StartAgentAsync("node-3");
        await cluster.MembersUpAsync("node-1", Settle, AllNodes);
        await cluster.AwaitInitializedAsync("mesh", ["node-3-during"], Settle);

        await Eventually.HoldsAsync(
            () => restarted.Process.Lines.Count(l => l.Contains("-> Initialized", StringComparison.Ordinal)) >= 2,
            TimeSpan.FromSeconds(20),
            "the restarted agent logging both of its pods initialized");
        var log = killed.Process.Lines.Concat(restarted.Process.Lines).ToList();
        foreach (var pod in new[] { "node-3-before", "node-3-during" })
        {
            Assert.Equal(1, log.Count(l => l.Contains($"Pod mesh/{pod} (", StringComparison.Ordinal) && l.Contains("rules applied", StringComparison.Ordinal)));
        }

        Assert.Contains(restarted.Process.Lines, l => l.Contains("Pod mesh/node-3-before (", StringComparison.Ordinal) && l.Contains("rules already in place", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_node_cut_off_is_downed_by_the_majority_its_agent_downs_itself_and_exits_and_it_rejoins_once_the_link_is_back()
    {
        await using var cluster = await FormedClusterAsync();
        var cut = cluster.Agents["node-3"];

        await Shell.RunAsync(["ip", "netns", "exec", cut.Netns, "ip", "link", "set", "uplink", "down"]);
        try
        {
            await cluster.MembersUpAsync("node-1", Settle, "node-1", "node-2");
            await cluster.MembersUpAsync("node-2", Settle, "node-1", "node-2");
            Assert.True(await cut.Process.WaitForExitAsync(Settle), "the cut-off agent did not down itself and exit");
            Assert.NotEqual(0, cut.Process.ExitCode);
        }
        finally
        {
            await Shell.RunAsync(["ip", "netns", "exec", cut.Netns, "ip", "link", "set", "uplink", "up"]);
        }

        await cluster.StartAgentAsync("node-3");
        await cluster.MembersUpAsync("node-1", Settle, AllNodes);
        await cluster.MembersUpAsync("node-3", Settle, AllNodes);
    }

    [Fact]
    public async Task The_namespace_watcher_singleton_moves_when_its_node_dies_work_goes_on_meanwhile_and_a_namespace_annotated_during_the_move_is_picked_up()
    {
        await using var cluster = await FormedClusterAsync();
        await cluster.CreateNamespaceAsync("known", initialize: "true");
        await cluster.CreatePodAsync("known", "warm-up", "node-2");
        await cluster.AwaitInitializedAsync("known", ["warm-up"], Settle);
        var host = cluster.Agents.Values.Single(a => a.Process.Lines.Any(IsSingletonStart));
        var survivors = AllNodes.Where(n => n != host.Node).ToArray();

        host.Process.KillHard();
        await cluster.CreateNamespaceAsync("late", initialize: "true");
        await cluster.CreatePodAsync("late", "late-pod", survivors[0]);
        await cluster.CreatePodAsync("known", "during-move", survivors[0]);

        await cluster.AwaitInitializedAsync("known", ["during-move"], Settle);
        await cluster.AwaitInitializedAsync("late", ["late-pod"], Settle);
        var newHost = cluster.Agents.Values.Single(a => a.Node != host.Node && a.Process.Lines.Any(IsSingletonStart));
        var moved = LogTime(newHost.Process.Lines.First(IsSingletonStart));
        var duringMove = LogTime(await cluster.Agents[survivors[0]].Process.WaitForLineAsync(
            l => l.Contains("Pod known/during-move (", StringComparison.Ordinal) && l.Contains("-> Initialized", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10),
            "the during-move pod's Initialized log line"));
        output.WriteLine($"singleton moved to {newHost.Node} at {moved:HH:mm:ss.fff}; known/during-move initialized at {duringMove:HH:mm:ss.fff}");
        Assert.True(duringMove < moved, "pods of an already known namespace were initialized while the singleton was moving");
    }

    private static bool IsSingletonStart(string line) => line.Contains("Singleton manager started singleton actor", StringComparison.Ordinal);

    private async Task<AgentCluster> FormedClusterAsync()
    {
        var cluster = await ClusterUnderTest.StartAsync(3, output);
        foreach (var node in AllNodes)
        {
            await cluster.MembersUpAsync(node, Settle, AllNodes);
        }

        return cluster;
    }

    private static string PodOf(string line) => PodInLine().Match(line).Groups[1].Value;

    private static DateTime LogTime(string line) =>
        DateTime.ParseExact(line[1..13], "HH:mm:ss.fff", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"Pod (\S+) \(")]
    private static partial Regex PodInLine();
}
