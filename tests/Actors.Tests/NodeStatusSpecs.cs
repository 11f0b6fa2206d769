using Akka.Actor;
using IstioPodNetwork.Actors.Pods;
using IstioPodNetwork.Actors.Status;
using IstioPodNetwork.Kube;
using Xunit.Abstractions;

namespace IstioPodNetwork.Actors.Tests;

public sealed class NodeStatusSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(SpecConfig.LoadTolerant, output: output)
{
    private static readonly PodRef Web = new("apps", "web", "uid-web");
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_pods_state_since_and_history_outlive_its_actors_restarts()
    {
        var status = Sys.ActorOf(NodeStatus.Props("node-a", ActorRefs.Nobody));

        status.Tell(Change(PodState.Pending, PodState.LocatingNetns, 0));
        status.Tell(Change(PodState.LocatingNetns, PodState.Failed, 1, error: "netns not found"));
        status.Tell(Change(PodState.Pending, PodState.Pending, 2));
        status.Tell(Change(PodState.Pending, PodState.LocatingNetns, 3));

        var entry = Assert.Single((await status.Ask<PodStatusesResult>(new GetPodStatuses())).Pods);
        Assert.Equal(PodState.LocatingNetns, entry.State);
        Assert.Equal(T0.AddSeconds(3), entry.Since);
        Assert.Equal("netns not found", entry.LastError);
        Assert.Equal("node-a", entry.Node);
        Assert.Equal([PodState.LocatingNetns, PodState.Failed, PodState.Pending, PodState.LocatingNetns], entry.History.Select(h => h.To));
    }

    [Fact]
    public async Task The_history_keeps_only_the_most_recent_transitions()
    {
        var status = Sys.ActorOf(NodeStatus.Props("node-a", ActorRefs.Nobody));

        for (var i = 0; i < NodeStatus.HistoryLength + 5; i++)
        {
            status.Tell(Change(PodState.Pending, PodState.LocatingNetns, i));
        }

        var entry = Assert.Single((await status.Ask<PodStatusesResult>(new GetPodStatuses())).Pods);
        Assert.Equal(NodeStatus.HistoryLength, entry.History.Count);
        Assert.Equal(T0.AddSeconds(5), entry.History[0].At);
    }

    [Fact]
    public async Task Reaching_Initialized_clears_the_last_error_and_a_forgotten_pod_disappears()
    {
        var status = Sys.ActorOf(NodeStatus.Props("node-a", ActorRefs.Nobody));
        status.Tell(Change(PodState.Verifying, PodState.Failed, 0, error: "drift"));
        status.Tell(Change(PodState.Annotating, PodState.Initialized, 1));

        Assert.Null(Assert.Single((await status.Ask<PodStatusesResult>(new GetPodStatuses())).Pods).LastError);

        status.Tell(new PodForgotten(Web));
        Assert.Empty((await status.Ask<PodStatusesResult>(new GetPodStatuses())).Pods);
    }

    [Fact]
    public async Task Readiness_needs_both_the_pod_list_and_the_namespace_set()
    {
        var status = Sys.ActorOf(NodeStatus.Props("node-a", ActorRefs.Nobody));
        Assert.False((await status.Ask<ReadinessResult>(new GetReadiness())).Ready);

        status.Tell(new PodsSynced(3));
        Assert.False((await status.Ask<ReadinessResult>(new GetReadiness())).Ready);

        status.Tell(new OptedInNamespacesChanged([]));
        Assert.True((await status.Ask<ReadinessResult>(new GetReadiness())).Ready);
    }

    [Fact]
    public async Task Changes_reach_the_replica_batched_and_only_when_something_changed()
    {
        var replica = CreateTestProbe();
        var status = Sys.ActorOf(NodeStatus.Props("node-a", replica));
        Assert.Empty((await replica.ExpectMsgAsync<NodePodsChanged>()).Pods);

        for (var i = 0; i < 5; i++)
        {
            status.Tell(Change(PodState.Pending, PodState.LocatingNetns, i));
        }

        var batch = await replica.FishForMessageAsync<NodePodsChanged>(m => !m.Pods.IsEmpty, TimeSpan.FromSeconds(3));
        Assert.Equal(PodState.LocatingNetns, Assert.Single(batch.Pods).State);
        await replica.ExpectNoMsgAsync(NodeStatus.ReplicationInterval * 3);
    }

    private static PodStateChanged Change(PodState from, PodState to, int second, string? error = null) =>
        new(Web, from, to, T0.AddSeconds(second), error, null);
}
