using System.Collections.Immutable;
using Akka.Actor;
using IstioPodNetwork.Actors.Commands;
using IstioPodNetwork.Actors.Pods;
using IstioPodNetwork.Actors.Status;
using IstioPodNetwork.Actors.Tests.Fakes;
using IstioPodNetwork.Kube;
using Xunit.Abstractions;

namespace IstioPodNetwork.Actors.Tests.Commands;

public sealed class PodCommandsSpecs : Akka.TestKit.Xunit2.TestKit
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private static readonly PodRef Web = new("apps", "web", "uid-web");
    private static readonly PodRef Api = new("apps", "api", "uid-api");
    private static readonly PodRef Db = new("data", "db", "uid-db");

    public PodCommandsSpecs(ITestOutputHelper output)
        : base(SpecConfig.LoadTolerant, output: output)
    {
        CommandPalettes.Get(Sys).Register(PodCommands.Palette);
    }

    [Fact]
    public async Task Pods_lists_every_pod_sorted_with_its_state_and_counts_them_by_state()
    {
        var status = StartNodeStatus();
        status.Tell(new PodStateChanged(Web, PodState.Verifying, PodState.Failed, T0, "rules did not verify", null));
        status.Tell(new PodStateChanged(Api, PodState.Annotating, PodState.Initialized, T0.AddSeconds(1), null, "*nat\nCOMMIT"));
        status.Tell(new PodStateChanged(Db, PodState.Pending, PodState.LocatingNetns, T0.AddSeconds(2), null, null));

        var run = await RecordingOutput.RunAsync(Sys, "pods");

        Assert.Equal(["apps/api", "apps/web", "data/db"], run.Table("pods").Rows.Select(r => $"{r.GetProperty("namespace")}/{r.GetProperty("name")}"));
        Assert.Equal(["Initialized", "Failed", "LocatingNetns"], run.Column("pods", "state"));
        Assert.Equal([null, "rules did not verify", null], run.Column("pods", "lastError"));
        Assert.Equal(["node-a", "node-a", "node-a"], run.Column("pods", "node"));
        Assert.Equal(["namespace", "name", "node", "state", "since", "lastError"], run.Table("pods").Columns.AsEnumerable());
        Assert.Equal("3 pods (1 LocatingNetns, 1 Initialized, 1 Failed)", run.Table("pods").Summary);
    }

    [Fact]
    public async Task Pods_filters_by_namespace_state_and_node()
    {
        var status = StartNodeStatus();
        status.Tell(new PodStateChanged(Web, PodState.Verifying, PodState.Failed, T0, "drift", null));
        status.Tell(new PodStateChanged(Api, PodState.Annotating, PodState.Initialized, T0, null, null));
        status.Tell(new PodStateChanged(Db, PodState.Annotating, PodState.Initialized, T0, null, null));

        Assert.Equal(["web", "api"], (await RecordingOutput.RunAsync(Sys, "pods -n apps")).Column("pods", "name").Order(StringComparer.Ordinal).Reverse());
        Assert.Equal(["api", "db"], (await RecordingOutput.RunAsync(Sys, "pods --state initialized")).Column("pods", "name"));
        Assert.Equal(["api"], (await RecordingOutput.RunAsync(Sys, "pods --namespace=apps --state Initialized")).Column("pods", "name"));
        var elsewhere = await RecordingOutput.RunAsync(Sys, "pods --node node-b");
        Assert.Empty(elsewhere.Table("pods").Rows);
        Assert.Equal("0 pods", elsewhere.Table("pods").Summary);
    }

    [Fact]
    public async Task Pod_describe_shows_the_state_the_rules_in_force_and_the_history_with_times_and_errors()
    {
        var status = StartNodeStatus();
        status.Tell(new PodStateChanged(Web, PodState.Pending, PodState.LocatingNetns, T0, null, null));
        status.Tell(new PodStateChanged(Web, PodState.LocatingNetns, PodState.Failed, T0.AddSeconds(30), "network namespace not found within 30 s", null));
        status.Tell(new PodStateChanged(Web, PodState.Annotating, PodState.Initialized, T0.AddSeconds(45), null, "*nat\n-A PREROUTING -p tcp -j ISTIO_INBOUND\nCOMMIT"));

        var run = await RecordingOutput.RunAsync(Sys, "pod describe apps/web");

        var pod = run.Item("pod");
        Assert.Equal("uid-web", pod.GetProperty("uid").GetString());
        Assert.Equal("Initialized", pod.GetProperty("state").GetString());
        Assert.Equal("2026-11-27T12:00:45.000Z", pod.GetProperty("since").GetString());
        Assert.Equal("*nat\n-A PREROUTING -p tcp -j ISTIO_INBOUND\nCOMMIT", pod.GetProperty("rulesInForce").GetString());
        Assert.Equal(["2026-11-27T12:00:00.000Z", "2026-11-27T12:00:30.000Z", "2026-11-27T12:00:45.000Z"], run.Column("history", "at"));
        Assert.Equal(["LocatingNetns", "Failed", "Initialized"], run.Column("history", "to"));
        Assert.Equal([null, "network namespace not found within 30 s", null], run.Column("history", "error"));
        Assert.Equal($"3 transitions (the last {NodeStatus.HistoryLength} are kept)", run.Table("history").Summary);
    }

    [Fact]
    public async Task Pod_describe_of_an_unknown_pod_fails_naming_it()
    {
        StartNodeStatus();

        var error = await Assert.ThrowsAsync<CommandFailedException>(() => RecordingOutput.RunAsync(Sys, "pod describe apps/ghost"));

        Assert.Equal("pod apps/ghost is not known to the cluster (see 'ipnc pods')", error.Message);
    }

    [Fact]
    public async Task Pod_retry_asks_the_pod_supervisor_and_reports_its_answer()
    {
        var status = StartNodeStatus();
        var supervisor = Sys.ActorOf(
            PodSupervisor.Props(new FakeCapture(), new FakeStatusWriter(), status, new PodSupervisorSettings([], 2, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), 0, 3, PodActorSettings.Default)),
            AgentActors.PodSupervisor);
        supervisor.Tell(new OptedInNamespacesChanged([]));
        supervisor.Tell(new PodObserved(TestPods.OptedIn("web")));
        await AwaitAssertAsync(async () => Assert.Contains(
            PodState.Initialized,
            (await status.Ask<PodStatusesResult>(new GetPodStatuses())).Pods.Select(p => p.State)));

        var accepted = await RecordingOutput.RunAsync(Sys, "pod retry apps/web");
        var refused = await Assert.ThrowsAsync<CommandFailedException>(() => RecordingOutput.RunAsync(Sys, "pod retry apps/ghost"));

        Assert.Equal("pod apps/web will be programmed again", Assert.IsType<MessageRecord>(Assert.Single(accepted.Records)).Text);
        Assert.Equal("pod apps/ghost is not known to the cluster (see 'ipnc pods')", refused.Message);
    }

    [Theory]
    [InlineData("pods", "this agent runs no /user/node-status actor, so it cannot answer pod states")]
    [InlineData("pod describe apps/web", "this agent runs no /user/node-status actor, so it cannot answer pod states")]
    [InlineData("pod retry apps/web", "this agent runs no /user/node-status actor, so it cannot answer pod states")]
    public async Task Without_the_agents_pod_actors_a_pod_command_fails_with_one_clear_message(string line, string message)
    {
        var error = await Assert.ThrowsAsync<CommandFailedException>(() => RecordingOutput.RunAsync(Sys, line));

        Assert.Equal(message, error.Message);
    }

    private IActorRef StartNodeStatus() => Sys.ActorOf(NodeStatus.Props("node-a", ActorRefs.Nobody), AgentActors.NodeStatus);
}
