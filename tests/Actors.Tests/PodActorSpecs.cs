using Akka.Actor;
using Akka.Pattern;
using Akka.TestKit;
using Akka.TestKit.Configs;
using IstioPodNetwork.Actors.Pods;
using IstioPodNetwork.Actors.Ports;
using IstioPodNetwork.Capture.Netns;
using IstioPodNetwork.Actors.Tests.Fakes;
using IstioPodNetwork.Kube;
using Xunit.Abstractions;

namespace IstioPodNetwork.Actors.Tests;

public sealed class PodActorSpecs : Akka.TestKit.Xunit2.TestKit
{
    private static readonly PodActorSettings Settings = new(NetnsWait: TimeSpan.FromSeconds(10), NetnsRetryInterval: TimeSpan.FromSeconds(1));
    private readonly FakeCapture capture = new();
    private readonly FakeStatusWriter marks = new();
    private readonly TestProbe status;
    private readonly TestProbe parent;
    private readonly TestProbe coordinatorProbe;

    public PodActorSpecs(ITestOutputHelper output)
        : base(SpecConfig.WithTestScheduler.WithFallback("akka.loglevel = DEBUG"), output: output)
    {
        status = CreateTestProbe("status");
        parent = CreateTestProbe("parent");
        coordinatorProbe = CreateTestProbe("coordinator");
    }

    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    [Fact]
    public async Task An_opted_in_pod_goes_through_every_step_to_Initialized_and_is_marked_once()
    {
        var pod = TestPods.OptedIn("web");

        var actor = await Start(pod);

        await ExpectTransitions(PodState.LocatingNetns, PodState.Programming, PodState.Verifying, PodState.Annotating, PodState.Initialized);
        Assert.Equal(["locate web", "apply web", "verify web"], capture.Calls);
        Assert.Equal(["initialized web"], marks.Writes);
        await parent.ExpectMsgAsync<BackoffSupervisor.Reset>();
        Assert.NotNull(actor);
    }

    [Fact]
    public async Task Every_transition_is_reported_with_the_rules_in_force()
    {
        await Start(TestPods.OptedIn("web", rules: "r1"));

        var changes = await ExpectTransitions(PodState.LocatingNetns, PodState.Programming, PodState.Verifying, PodState.Annotating, PodState.Initialized);

        Assert.All(changes, c => Assert.Equal("web", c.Pod.Name));
        Assert.Equal("rules: r1", changes[^1].RulesInForce);
    }

    [Fact]
    public async Task An_invalid_annotation_fails_the_pod_for_good_naming_the_annotation_without_touching_its_netns()
    {
        var pod = TestPods.OptedIn("web").With(FakeCapture.InvalidAnnotation, "x");

        await Start(pod);

        var failed = await ExpectTransitions(PodState.Failed);
        Assert.Contains("annotation test/invalid", failed[^1].Error, StringComparison.Ordinal);
        await AwaitConditionAsync(() => Task.FromResult(marks.Writes.Any(w => w.StartsWith("failed web InvalidAnnotation: annotation test/invalid", StringComparison.Ordinal))));
        Assert.Empty(capture.Calls);
        await parent.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task A_failed_pod_whose_annotation_is_fixed_is_programmed()
    {
        var actor = await Start(TestPods.OptedIn("web").With(FakeCapture.InvalidAnnotation, "x"));
        await ExpectTransitions(PodState.Failed);

        actor.Tell(new PodObserved(TestPods.OptedIn("web")));

        await ExpectTransitions(PodState.LocatingNetns, PodState.Programming, PodState.Verifying, PodState.Annotating, PodState.Initialized);
    }

    [Fact]
    public async Task A_pod_without_an_IP_waits_in_Pending_until_one_is_assigned()
    {
        var actor = await Start(TestPods.OptedIn("web", ip: null));
        await status.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        Assert.Empty(capture.Calls);

        actor.Tell(new PodObserved(TestPods.OptedIn("web", ip: "10.10.0.9")));

        await ExpectTransitions(PodState.LocatingNetns, PodState.Programming, PodState.Verifying, PodState.Annotating, PodState.Initialized);
    }

    [Fact]
    public async Task A_netns_not_there_yet_is_looked_for_again_after_the_retry_interval()
    {
        capture.NextLookup("web", () => Task.FromResult<NetnsLookup>(new NetnsLookup.NotYet("no process")));
        capture.NextLookup("web", () => Task.FromResult<NetnsLookup>(new NetnsLookup.NotYet("no process")));

        // The retry timer is set once the "not yet" answer is handled, which the debug line marks: only then may the clock move.
        await LookingAgainAfter(async () =>
        {
            await Start(TestPods.OptedIn("web"));
            await ExpectTransitions(PodState.LocatingNetns);
        });

        Scheduler.Advance(Settings.NetnsRetryInterval - TimeSpan.FromMilliseconds(1));
        await status.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
        Assert.Equal(1, capture.Count("locate web"));
        await LookingAgainAfter(() => Scheduler.Advance(TimeSpan.FromMilliseconds(1)));
        Assert.Equal(2, capture.Count("locate web"));
        Scheduler.Advance(Settings.NetnsRetryInterval);

        await ExpectTransitions(PodState.Programming, PodState.Verifying, PodState.Annotating, PodState.Initialized);
        Assert.Equal(3, capture.Count("locate web"));
    }

    [Fact]
    public async Task A_netns_still_missing_after_the_bound_fails_the_pod_and_crashes_for_a_backoff_restart()
    {
        for (var i = 0; i < 20; i++)
        {
            capture.NextLookup("web", () => Task.FromResult<NetnsLookup>(new NetnsLookup.NotYet("no process in a cgroup of this pod")));
        }

        await LookingAgainAfter(async () =>
        {
            await Start(TestPods.OptedIn("web"));
            await ExpectTransitions(PodState.LocatingNetns);
        });
        var retriesWithinTheBound = (int)(Settings.NetnsWait / Settings.NetnsRetryInterval) - 1;
        for (var i = 0; i < retriesWithinTheBound; i++)
        {
            await LookingAgainAfter(() => Scheduler.Advance(Settings.NetnsRetryInterval));
        }

        Scheduler.Advance(Settings.NetnsRetryInterval);

        var failed = await ExpectTransitions(PodState.Failed);
        Assert.Contains("network namespace not found within 10 s: no process in a cgroup of this pod", failed[0].Error, StringComparison.Ordinal);
        var crash = await parent.ExpectMsgAsync<ChildCrashed>();
        Assert.IsType<PodInitializationException>(crash.Error);
        Assert.Contains(marks.Writes, w => w.StartsWith("failed web InitializationFailed", StringComparison.Ordinal));
        Assert.Equal(retriesWithinTheBound + 2, capture.Count("locate web"));
    }

    [Theory]
    [InlineData("apply", "applying rules failed: boom")]
    [InlineData("verify", "rules did not verify: boom")]
    public async Task A_failing_step_fails_the_pod_with_its_reason_marks_it_and_crashes_for_a_backoff_restart(string step, string expectedError)
    {
        capture.NextStep(step, "web", () => Task.FromResult(CaptureStep.Failure("boom")));

        await Start(TestPods.OptedIn("web"));

        var changes = await FishTransitionTo(PodState.Failed);
        Assert.Equal(expectedError, changes.Error);
        await parent.ExpectMsgAsync<ChildCrashed>();
        Assert.Contains(marks.Writes, w => w == $"failed web InitializationFailed: {expectedError}");
        Assert.Equal(0, marks.Count("initialized", "web"));
    }

    [Fact]
    public async Task A_step_that_throws_is_a_failure_not_a_silent_hang()
    {
        capture.NextStep("apply", "web", () => Task.FromException<CaptureStep>(new IOException("iptables-restore vanished")));

        await Start(TestPods.OptedIn("web"));

        var failed = await FishTransitionTo(PodState.Failed);
        Assert.Equal("applying rules failed: iptables-restore vanished", failed.Error);
    }

    [Fact]
    public async Task A_change_of_capture_annotations_reprograms_an_initialized_pod()
    {
        var actor = await Start(TestPods.OptedIn("web", rules: "r1"));
        await FishTransitionTo(PodState.Initialized);

        actor.Tell(new PodObserved(TestPods.OptedIn("web", rules: "r2")));

        var reprogrammed = await ExpectTransitions(PodState.LocatingNetns, PodState.Programming, PodState.Verifying, PodState.Annotating, PodState.Initialized);
        Assert.Equal("rules: r2", reprogrammed[^1].RulesInForce);
        Assert.Equal(2, capture.Count("apply web"));
    }

    [Fact]
    public async Task A_new_version_of_the_pod_with_the_same_rules_changes_nothing()
    {
        var actor = await Start(TestPods.OptedIn("web", rules: "r1"));
        await FishTransitionTo(PodState.Initialized);

        actor.Tell(new PodObserved(TestPods.OptedIn("web", rules: "r1").With("unrelated", "label-ish")));

        await status.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        Assert.Equal(1, capture.Count("apply web"));
    }

    [Fact]
    public async Task A_change_arriving_mid_programming_is_programmed_once_the_first_run_ends()
    {
        var applying = new TaskCompletionSource<CaptureStep>();
        capture.NextStep("apply", "web", () => applying.Task);
        var actor = await Start(TestPods.OptedIn("web", rules: "r1"));
        await FishTransitionTo(PodState.Programming);
        await AwaitConditionAsync(() => Task.FromResult(capture.Count("apply web") == 1));

        actor.Tell(new PodObserved(TestPods.OptedIn("web", rules: "r2")));
        applying.SetResult(CaptureStep.Success("applied"));

        await FishTransitionTo(PodState.Annotating);
        var second = await ExpectTransitions(PodState.LocatingNetns, PodState.Programming, PodState.Verifying, PodState.Annotating, PodState.Initialized);
        Assert.Equal("rules: r2", second[^1].RulesInForce);
    }

    [Fact]
    public async Task Opting_out_removes_the_rules_then_the_marks_and_stops_the_actor()
    {
        var actor = await Start(TestPods.OptedIn("web"));
        await FishTransitionTo(PodState.Initialized);
        Watch(actor);

        actor.Tell(new StopCapture("annotation says false"));

        await ExpectTransitions(PodState.Removing);
        await ExpectTerminatedAsync(actor);
        Assert.Equal(1, capture.Count("remove web"));
        Assert.Equal(["initialized web", "cleared web"], marks.Writes);
    }

    [Fact]
    public async Task Opting_out_before_the_netns_is_known_finds_it_first_then_removes()
    {
        var locating = new TaskCompletionSource<NetnsLookup>();
        capture.NextLookup("web", () => locating.Task);
        var actor = await Start(TestPods.OptedIn("web"));
        await FishTransitionTo(PodState.LocatingNetns);
        Watch(actor);

        actor.Tell(new StopCapture("opted out"));
        locating.SetResult(new NetnsLookup.Found("/stale#web", 1));

        await ExpectTerminatedAsync(actor);
        Assert.Equal(1, capture.Count("remove web"));
        Assert.Equal(0, capture.Count("apply web"));
        Assert.Equal(["cleared web"], marks.Writes);
    }

    [Fact]
    public async Task A_pod_deleted_while_being_marked_stops_the_actor_without_failing()
    {
        marks.NextWrite("web", () => Task.FromResult(PodWriteOutcome.PodGone));
        var actor = await Start(TestPods.OptedIn("web"));
        Watch(actor);

        await ExpectTerminatedAsync(actor);
        await parent.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Stopping_mid_programming_cancels_the_work_and_writes_nothing_afterwards()
    {
        var applying = new TaskCompletionSource<CaptureStep>();
        capture.NextStep("apply", "web", () => applying.Task);
        var actor = await Start(TestPods.OptedIn("web"));
        await FishTransitionTo(PodState.Programming);
        Watch(actor);

        Sys.Stop(actor);
        await ExpectTerminatedAsync(actor);
        applying.SetResult(CaptureStep.Success("late"));

        await status.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        Assert.Empty(marks.Writes);
        Assert.Equal(0, capture.Count("verify web"));
    }

    [Fact]
    public async Task A_pod_already_marked_initialized_is_verified_without_writing_its_marks_again()
    {
        var pod = TestPods.Pod("web", annotations: new Dictionary<string, string> { [PodMarkers.InitializeAnnotation] = "true" }, markedInitialized: true);

        await Start(pod);

        await FishTransitionTo(PodState.Initialized);
        Assert.Equal(1, capture.Count("apply web"));
        Assert.Equal(1, capture.Count("verify web"));
        Assert.Empty(marks.Writes);
    }

    [Fact]
    public async Task The_programming_step_waits_for_a_slot()
    {
        await Start(TestPods.OptedIn("web"), grantSlots: false);

        await FishTransitionTo(PodState.Programming);
        await coordinatorProbe.ExpectMsgAsync<RequestProgrammingSlot>();
        await status.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        Assert.Equal(0, capture.Count("apply web"));
    }

    /// <summary>Runs <paramref name="action"/> and waits for the pod actor to say it will look for the netns again (its retry timer is then set).</summary>
    private Task LookingAgainAfter(Func<Task> action) => EventFilter.Debug(contains: "looking again").ExpectOneAsync(action);

    private Task LookingAgainAfter(Action action) => LookingAgainAfter(() =>
    {
        action();
        return Task.CompletedTask;
    });

    private async Task<IActorRef> Start(PodSnapshot pod, bool grantSlots = true)
    {
        var coordinator = Sys.ActorOf(Props.Create(() => new FakeCoordinator(coordinatorProbe, grantSlots)));
        coordinator.Tell(new PodObserved(pod));
        var props = PodActor.Props(pod, capture, marks, coordinator, status, Settings);
        Sys.ActorOf(Props.Create(() => new StepParent(props, parent)));
        var actor = (await parent.ExpectMsgAsync<ChildStarted>()).Child;
        var started = await status.ExpectMsgAsync<PodStateChanged>();
        Assert.Equal((PodState.Pending, PodState.Pending), (started.From, started.To));
        return actor;
    }

    /// <summary>Expects the next transitions reported to the status probe to end in <paramref name="states"/>, in order.</summary>
    private async Task<List<PodStateChanged>> ExpectTransitions(params PodState[] states)
    {
        var changes = new List<PodStateChanged>();
        foreach (var to in states)
        {
            var change = await status.ExpectMsgAsync<PodStateChanged>(TimeSpan.FromSeconds(5));
            Assert.Equal(to, change.To);
            changes.Add(change);
        }

        return changes;
    }

    private async Task<PodStateChanged> FishTransitionTo(PodState state) =>
        (PodStateChanged)await status.FishForMessageAsync(m => m is PodStateChanged c && c.To == state);
}
