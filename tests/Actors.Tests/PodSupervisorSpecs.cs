using System.Collections.Immutable;
using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Configs;
using IstioPodNetwork.Actors.Pods;
using IstioPodNetwork.Actors.Ports;
using IstioPodNetwork.Actors.Tests.Fakes;
using IstioPodNetwork.Kube;
using IstioPodNetwork.Testing;
using Xunit.Abstractions;

namespace IstioPodNetwork.Actors.Tests;

public sealed class PodSupervisorSpecs : Akka.TestKit.Xunit2.TestKit
{
    private static readonly PodSupervisorSettings Settings = new(
        ExcludedNamespaces: ["kube-system", "istio-system"],
        MaxConcurrentProgramming: 2,
        MinBackoff: TimeSpan.FromSeconds(1),
        MaxBackoff: TimeSpan.FromSeconds(30),
        BackoffRandomFactor: 0,
        MaxRetries: 3,
        Pod: new PodActorSettings(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1)));

    private readonly FakeCapture capture = new();
    private readonly FakeStatusWriter marks = new();
    private readonly TestProbe status;

    public PodSupervisorSpecs(ITestOutputHelper output)
        : base(SpecConfig.WithTestScheduler, output: output)
    {
        status = CreateTestProbe("status");
    }

    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    [Fact]
    public async Task Exactly_the_pods_that_opted_in_are_initialized()
    {
        var supervisor = Start();
        var optIn = new Dictionary<string, string> { [PodMarkers.InitializeAnnotation] = "true" };
        var optOut = new Dictionary<string, string> { [PodMarkers.InitializeAnnotation] = "false" };
        supervisor.Tell(new OptedInNamespacesChanged(["meshed"]));

        Observe(supervisor,
            TestPods.Pod("pod-annotated", "plain", annotations: optIn),
            TestPods.Pod("ns-annotated", "meshed"),
            TestPods.Pod("pod-opted-out", "meshed", annotations: optOut),
            TestPods.Pod("pod-not-asked", "plain"),
            TestPods.Pod("host-network", "meshed", hostNetwork: true),
            TestPods.Pod("excluded-ns", "kube-system", annotations: optIn),
            TestPods.Pod("deleting", "meshed", deleting: true),
            TestPods.Pod("completed", "meshed", phase: "Succeeded"),
            TestPods.Pod("deployer", "meshed", annotations: new Dictionary<string, string> { ["openshift.io/deployer-pod-for.name"] = "app-1" }),
            TestPods.Pod("not-true", "plain", annotations: new Dictionary<string, string> { [PodMarkers.InitializeAnnotation] = "yes" }));

        await AwaitState(PodState.Initialized, "pod-annotated", "ns-annotated");
        await Consistently.HoldsAsync(() => capture.Calls.All(c => c.EndsWith("pod-annotated", StringComparison.Ordinal) || c.EndsWith("ns-annotated", StringComparison.Ordinal)), "no other pod is touched");
        Assert.Equal(["initialized ns-annotated", "initialized pod-annotated"], marks.Writes.Order());
    }

    [Fact]
    public async Task A_namespace_that_opts_in_later_gets_its_pods_initialized_and_one_that_opts_out_gets_them_removed()
    {
        var supervisor = Start();
        supervisor.Tell(new OptedInNamespacesChanged([]));
        Observe(supervisor, TestPods.Pod("web", "shop"));
        await Consistently.HoldsAsync(() => capture.Calls.IsEmpty, "a pod of a namespace that has not opted in stays untouched");

        supervisor.Tell(new OptedInNamespacesChanged(["shop"]));
        await AwaitConditionAsync(() => Task.FromResult(marks.Count("initialized", "web") == 1));

        supervisor.Tell(new OptedInNamespacesChanged([]));
        await AwaitConditionAsync(() => Task.FromResult(marks.Count("cleared", "web") == 1));
        Assert.Equal(1, capture.Count("remove web"));
    }

    [Fact]
    public async Task At_most_the_configured_number_of_pods_are_programmed_at_once()
    {
        var supervisor = Start();
        var applies = Enumerable.Range(0, 5).Select(_ => new TaskCompletionSource<CaptureStep>()).ToArray();
        for (var i = 0; i < 5; i++)
        {
            var gate = applies[i];
            capture.NextStep("apply", $"p{i}", () => gate.Task);
        }

        Observe(supervisor, [.. Enumerable.Range(0, 5).Select(i => TestPods.OptedIn($"p{i}"))]);

        await AwaitState(PodState.Programming, "p0", "p1", "p2", "p3", "p4");
        await Consistently.HoldsAsync(() => capture.Count("apply") == 2, "only two pods are applying");

        var first = capture.Calls.First(c => c.StartsWith("apply", StringComparison.Ordinal)).Split(' ')[1];
        applies[int.Parse(first[1..], System.Globalization.CultureInfo.InvariantCulture)].SetResult(CaptureStep.Success("applied"));

        await AwaitConditionAsync(() => Task.FromResult(capture.Count("apply") == 3));
        await Consistently.HoldsAsync(() => capture.Count("apply") == 3, "a freed slot lets exactly one more pod apply");
        foreach (var gate in applies)
        {
            gate.TrySetResult(CaptureStep.Success("applied"));
        }

        await AwaitConditionAsync(() => Task.FromResult(marks.Writes.Count(w => w.StartsWith("initialized", StringComparison.Ordinal)) == 5));
    }

    [Fact]
    public async Task A_failing_pod_is_retried_with_exponential_backoff_then_given_up_while_the_others_carry_on()
    {
        var supervisor = Start();
        for (var i = 0; i <= Settings.MaxRetries; i++)
        {
            capture.NextStep("apply", "bad", () => Task.FromResult(CaptureStep.Failure("iptables-restore: exit 1")));
        }

        Observe(supervisor, TestPods.OptedIn("bad"), TestPods.OptedIn("good"));
        await AwaitConditionAsync(() => Task.FromResult(capture.Count("apply bad") == 1 && marks.Count("initialized", "good") == 1));

        // Restarts come after 1 s, 2 s, 4 s: not a moment before. The backoff timer starts when the failed
        // actor has stopped, so the clock moves only once it has (and nothing restarts meanwhile).
        foreach (var (delay, attempt) in new[] { (1, 2), (2, 3), (4, 4) })
        {
            await status.FishForMessageAsync(m => m is PodStateChanged { To: PodState.Failed, Pod.Name: "bad" });
            var failedActor = status.LastSender;
            Watch(failedActor);
            await ExpectTerminatedAsync(failedActor);
            await Consistently.HoldsAsync(() => capture.Count("apply bad") == attempt - 1, "no restart while the clock stands still");
            Scheduler.Advance(TimeSpan.FromSeconds(delay) - TimeSpan.FromMilliseconds(10));
            await Consistently.HoldsAsync(() => capture.Count("apply bad") == attempt - 1, $"no restart before {delay} s");
            Scheduler.Advance(TimeSpan.FromMilliseconds(10));
            await AwaitConditionAsync(() => Task.FromResult(capture.Count("apply bad") == attempt));
        }

        var gaveUp = (PodGaveUp)await status.FishForMessageAsync(m => m is PodGaveUp);
        Assert.Equal("bad", gaveUp.Pod.Name);
        Scheduler.Advance(TimeSpan.FromMinutes(5));
        await Consistently.HoldsAsync(() => capture.Count("apply bad") == 4, "no attempt after giving up");
        Assert.Equal(1, marks.Count("initialized", "good"));
    }

    [Fact]
    public async Task A_pod_that_gave_up_is_tried_again_when_its_annotations_change_but_not_when_only_our_marks_do()
    {
        var supervisor = Start(Settings with { MaxRetries = 0 });
        capture.NextStep("apply", "web", () => Task.FromResult(CaptureStep.Failure("boom")));
        Observe(supervisor, TestPods.OptedIn("web", rules: "r1"));
        await status.FishForMessageAsync(m => m is PodGaveUp);

        Observe(supervisor, TestPods.OptedIn("web", rules: "r1").With("pod-network-controller.istio.io/status", "whatever"));
        await Consistently.HoldsAsync(() => capture.Count("apply web") == 1, "our own marks changing does not retry the pod");

        Observe(supervisor, TestPods.OptedIn("web", rules: "r2"));
        await AwaitConditionAsync(() => Task.FromResult(marks.Count("initialized", "web") == 1));
    }

    [Fact]
    public async Task Retry_programs_a_pod_that_gave_up()
    {
        var supervisor = Start(Settings with { MaxRetries = 0 });
        capture.NextStep("apply", "web", () => Task.FromResult(CaptureStep.Failure("boom")));
        Observe(supervisor, TestPods.OptedIn("web"));
        await status.FishForMessageAsync(m => m is PodGaveUp);

        var result = await supervisor.Ask<RetryPodResult>(new RetryPod("apps", "web"), RemainingOrDefault);

        Assert.True(result.Accepted, result.Message);
        await AwaitConditionAsync(() => Task.FromResult(marks.Count("initialized", "web") == 1));
    }

    [Fact]
    public async Task Retry_of_an_unknown_pod_is_refused_with_a_reason()
    {
        var supervisor = Start();

        var result = await supervisor.Ask<RetryPodResult>(new RetryPod("apps", "ghost"), RemainingOrDefault);

        Assert.False(result.Accepted);
        Assert.Equal("pod apps/ghost is not on this node", result.Message);
    }

    [Fact]
    public async Task A_pod_deleted_mid_programming_stops_its_actor_and_frees_its_slot_for_the_next()
    {
        var supervisor = Start(Settings with { MaxConcurrentProgramming = 1 });
        var stuck = new TaskCompletionSource<CaptureStep>();
        capture.NextStep("apply", "first", () => stuck.Task);
        var first = TestPods.OptedIn("first");
        Observe(supervisor, first);
        await AwaitConditionAsync(() => Task.FromResult(capture.Count("apply first") == 1));
        Observe(supervisor, TestPods.OptedIn("second"));
        await Consistently.HoldsAsync(() => capture.Count("apply second") == 0, "the second pod waits for the only slot");

        supervisor.Tell(new PodRemoved(first.Ref));

        await AwaitConditionAsync(() => Task.FromResult(marks.Count("initialized", "second") == 1));
        var forgotten = await status.FishForMessageAsync(m => m is PodForgotten);
        Assert.Equal("first", ((PodForgotten)forgotten).Pod.Name);
        stuck.SetResult(CaptureStep.Success("late"));
        await Consistently.HoldsAsync(() => marks.Count("initialized", "first") == 0, "a deleted pod is never marked");
    }

    [Fact]
    public async Task A_new_version_of_a_pod_reaches_its_actor_and_reprograms_it()
    {
        var supervisor = Start();
        Observe(supervisor, TestPods.OptedIn("web", rules: "r1"));
        await AwaitConditionAsync(() => Task.FromResult(marks.Count("initialized", "web") == 1));

        Observe(supervisor, TestPods.OptedIn("web", rules: "r2"));

        await AwaitConditionAsync(() => Task.FromResult(capture.Count("apply web") == 2));
    }

    /// <summary>Waits until each named pod has reported reaching <paramref name="state"/>.</summary>
    private async Task AwaitState(PodState state, params string[] pods)
    {
        var waiting = pods.ToHashSet();
        while (waiting.Count > 0)
        {
            var change = (PodStateChanged)await status.FishForMessageAsync(m => m is PodStateChanged c && c.To == state && waiting.Contains(c.Pod.Name));
            waiting.Remove(change.Pod.Name);
        }
    }

    private IActorRef Start(PodSupervisorSettings? settings = null) =>
        Sys.ActorOf(PodSupervisor.Props(capture, marks, status, settings ?? Settings));

    private static void Observe(IActorRef supervisor, params PodSnapshot[] pods)
    {
        foreach (var pod in pods)
        {
            supervisor.Tell(new PodObserved(pod));
        }
    }
}
