using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using IstioPodNetwork.Actors.Ports;
using IstioPodNetwork.Capture.Netns;
using IstioPodNetwork.Kube;

namespace IstioPodNetwork.Actors.Pods;

public sealed record PodActorSettings(TimeSpan NetnsWait, TimeSpan NetnsRetryInterval)
{
    public static PodActorSettings Default { get; } = new(TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(250));
}

/// <summary>What a <see cref="PodActor"/> knows about its pod.</summary>
/// <param name="Pod">The newest version of the pod.</param>
/// <param name="Plan">The rules being, or last, programmed.</param>
/// <param name="Operation">Counts async steps; a result from an older step is stale and ignored.</param>
public sealed record PodData(
    PodSnapshot Pod,
    CapturePlan? Plan = null,
    NetnsLookup.Found? Netns = null,
    int Operation = 0,
    DateTimeOffset? LocatingSince = null,
    string? Error = null,
    bool Retryable = false,
    string? RemovalReason = null,
    PodFailure? Failure = null);

/// <summary>
/// One pod's life on this node, as a state machine:
/// Pending → LocatingNetns → Programming → Verifying → Annotating → Initialized,
/// and Failed from any step. A retryable failure, once marked on the pod, throws
/// so the backoff supervisor above restarts this actor after a jittered delay.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The cancellation source is disposed in PostStop, the end of the actor's life.")]
public sealed class PodActor : FSM<PodState, PodData>
{
    private readonly IPodCapture capture;
    private readonly IPodStatusWriter marks;
    private readonly IActorRef coordinator;
    private readonly IActorRef status;
    private readonly PodActorSettings settings;
    private readonly CancellationTokenSource stopping = new();
    private readonly ILoggingAdapter log = Context.GetLogger();

    public PodActor(PodSnapshot pod, IPodCapture capture, IPodStatusWriter marks, IActorRef coordinator, IActorRef status, PodActorSettings settings)
    {
        this.capture = capture;
        this.marks = marks;
        this.coordinator = coordinator;
        this.status = status;
        this.settings = settings;

        StartWith(PodState.Pending, new PodData(pod));

        When(PodState.Pending, e => e.FsmEvent switch
        {
            PodObserved observed => Plan(e.StateData with { Pod = observed.Pod }),
            _ => null!,
        });

        When(PodState.LocatingNetns, e => e.FsmEvent switch
        {
            NetnsLocated located when located.Operation == e.StateData.Operation => OnLocated(located.Lookup, e.StateData),
            LocateAgain => Locate(e.StateData),
            _ => null!,
        });

        When(PodState.Programming, e => e.FsmEvent switch
        {
            ProgrammingSlotGranted => Apply(e.StateData),
            StepDone done when done.Operation == e.StateData.Operation => done.Step.Succeeded
                ? Verify(Logged(e.StateData, done.Step))
                : Fail(e.StateData, $"applying rules failed: {done.Step.Detail}", PodFailure.ApplyFailed),
            _ => null!,
        });

        When(PodState.Verifying, e => e.FsmEvent switch
        {
            StepDone done when done.Operation == e.StateData.Operation => done.Step.Succeeded
                ? Annotate(e.StateData)
                : Fail(e.StateData, $"rules did not verify: {done.Step.Detail}", PodFailure.VerifyFailed),
            _ => null!,
        });

        When(PodState.Annotating, e => e.FsmEvent switch
        {
            Marked marked when marked.Operation == e.StateData.Operation => marked.Outcome switch
            {
                PodWriteOutcome.Written => Initialized(e.StateData),
                PodWriteOutcome.PodGone => Stop(),
                _ => Fail(e.StateData, $"marking the pod failed: {marked.Error}", PodFailure.MarkFailed),
            },
            _ => null!,
        });

        When(PodState.Initialized, e => e.FsmEvent switch
        {
            PodObserved observed => Changed(e.StateData with { Pod = observed.Pod }),
            _ => null!,
        });

        When(PodState.Removing, e => e.FsmEvent switch
        {
            NetnsLocated located when located.Operation == e.StateData.Operation => located.Lookup is NetnsLookup.Found found
                ? RemoveRules(e.StateData with { Netns = found })
                : ClearMarks(e.StateData),
            StepDone done when done.Operation == e.StateData.Operation => ClearMarks(Logged(e.StateData, done.Step) with { Error = done.Step.Succeeded ? null : done.Step.Detail }),
            Marked marked when marked.Operation == e.StateData.Operation => Stop(),
            _ => null!,
        });

        When(PodState.Failed, e => e.FsmEvent switch
        {
            Marked marked when marked.Operation == e.StateData.Operation && e.StateData.Retryable =>
                throw new PodInitializationException(e.StateData.Pod.Ref, e.StateData.Error ?? "unknown failure"),
            Marked => Stay(),
            PodObserved observed when !e.StateData.Retryable => Changed(e.StateData with { Pod = observed.Pod }),
            _ => null!,
        });

        WhenUnhandled(e => e.FsmEvent switch
        {
            PodObserved observed => Stay().Using(e.StateData with { Pod = observed.Pod }),
            StopCapture stop => StartRemoving(e.StateData with { RemovalReason = stop.Reason }),
            RetryPod => Plan(e.StateData with { Error = null }),
            NetnsLocated or StepDone or Marked or LocateAgain or ProgrammingSlotGranted => Stay(),
            _ => Stay(),
        });

        OnTransition((from, to) => Transitioned(from, to));
        Initialize();
    }

    public static Props Props(PodSnapshot pod, IPodCapture capture, IPodStatusWriter marks, IActorRef coordinator, IActorRef status, PodActorSettings settings) =>
        Akka.Actor.Props.Create(() => new PodActor(pod, capture, marks, coordinator, status, settings));

    protected override void PreStart()
    {
        // After a backoff restart the props carry an old version of the pod: ask for the newest.
        coordinator.Tell(new GetPodSnapshot(StateData.Pod.Uid));
        base.PreStart();
    }

    protected override void PostStop()
    {
        stopping.Cancel();
        stopping.Dispose();
        base.PostStop();
    }

    private State<PodState, PodData> Plan(PodData data) => data.Pod.PodIps.IsEmpty ? Enter(PodState.Pending).Using(data) : capture.Plan(data.Pod) switch
    {
        CapturePlanning.Planned planned => Locate(data with { Plan = planned.Plan, Error = null, LocatingSince = null }),
        CapturePlanning.Invalid invalid => Fail(data, Problems(invalid), PodFailure.InvalidAnnotation),
        _ => throw new InvalidOperationException("unknown planning result"),
    };

    private State<PodState, PodData> Locate(PodData data)
    {
        var next = Next(data) with { LocatingSince = data.LocatingSince ?? Now };
        capture.LocateAsync(next.Pod, stopping.Token).PipeTo(Self, success: lookup => new NetnsLocated(next.Operation, lookup), failure: e => new NetnsLocated(next.Operation, new NetnsLookup.Failed(e.Message)));
        return Enter(PodState.LocatingNetns).Using(next);
    }

    private State<PodState, PodData> OnLocated(NetnsLookup lookup, PodData data)
    {
        switch (lookup)
        {
            case NetnsLookup.Found found:
                coordinator.Tell(new RequestProgrammingSlot());
                return GoTo(PodState.Programming).Using(Next(data) with { Netns = found, LocatingSince = null, Error = null });
            case NetnsLookup.NotYet notYet when Now - data.LocatingSince < settings.NetnsWait:
                // Set before the line is logged: whoever reads "looking again" (the specs do) may count on the retry being scheduled.
                SetTimer("locate", new LocateAgain(), settings.NetnsRetryInterval);
                log.Debug("Pod {Namespace}/{Name} ({Uid}): network namespace not there yet ({Reason}); looking again in {Interval}", data.Pod.Ref.Namespace, data.Pod.Ref.Name, data.Pod.Uid, notYet.Reason, settings.NetnsRetryInterval);
                return Stay().Using(data with { Error = notYet.Reason });
            case NetnsLookup.NotYet notYet:
                return Fail(data, $"network namespace not found within {settings.NetnsWait.TotalSeconds:0.#} s: {notYet.Reason}", PodFailure.NetnsNotFound);
            case NetnsLookup.Failed failed:
                return Fail(data, $"finding the network namespace failed: {failed.Reason}", PodFailure.NetnsLookupFailed);
            default:
                throw new InvalidOperationException("unknown netns lookup result");
        }
    }

    private State<PodState, PodData> Apply(PodData data)
    {
        var next = Next(data);
        capture.ApplyAsync(next.Netns!, next.Plan!, stopping.Token).PipeTo(Self, success: step => new StepDone(next.Operation, step), failure: e => new StepDone(next.Operation, CaptureStep.Failure(e.Message)));
        return Stay().Using(next);
    }

    private State<PodState, PodData> Verify(PodData data)
    {
        var next = Next(data);
        capture.VerifyAsync(next.Netns!, next.Plan!, stopping.Token).PipeTo(Self, success: step => new StepDone(next.Operation, step), failure: e => new StepDone(next.Operation, CaptureStep.Failure(e.Message)));
        return GoTo(PodState.Verifying).Using(next);
    }

    private State<PodState, PodData> Annotate(PodData data)
    {
        var next = Next(data);
        if (next.Pod.IsMarkedInitialized && next.Pod.HasInitializedConditionTrue)
        {
            // Start-up reconciliation of a pod initialized earlier: its marks are already right.
            Self.Tell(new Marked(next.Operation, PodWriteOutcome.Written, null));
        }
        else
        {
            Mark(next.Operation, ct => marks.MarkInitializedAsync(next.Pod.Ref, "traffic capture rules programmed and verified", ct));
        }

        return GoTo(PodState.Annotating).Using(next);
    }

    private State<PodState, PodData> Initialized(PodData data)
    {
        Context.Parent.Tell(BackoffSupervisor.Reset.Instance);
        return Changed(data, GoTo(PodState.Initialized).Using(data with { Error = null }));
    }

    /// <summary>A newer version of the pod: re-program if its rules changed or it failed on old annotations, else carry on.</summary>
    private State<PodState, PodData> Changed(PodData data, State<PodState, PodData>? unchanged = null)
    {
        switch (capture.Plan(data.Pod))
        {
            case CapturePlanning.Planned planned when planned.Plan.Fingerprint != data.Plan?.Fingerprint || StateName == PodState.Failed:
                return Locate(data with { Plan = planned.Plan, Error = null, LocatingSince = null });
            case CapturePlanning.Invalid invalid when Problems(invalid) != data.Error:
                return Fail(data, Problems(invalid), PodFailure.InvalidAnnotation);
            default:
                return unchanged ?? Stay().Using(data);
        }
    }

    /// <summary>Every failure but an invalid annotation may pass with time, so it is retried after backoff.</summary>
    private State<PodState, PodData> Fail(PodData data, string reason, PodFailure failure)
    {
        var retryable = failure != PodFailure.InvalidAnnotation;
        var next = Next(data) with { Error = reason, Retryable = retryable, Failure = failure };
        Mark(next.Operation, ct => marks.MarkFailedAsync(next.Pod.Ref, retryable ? "InitializationFailed" : "InvalidAnnotation", reason, ct));
        return GoTo(PodState.Failed).Using(next);
    }

    private State<PodState, PodData> StartRemoving(PodData data)
    {
        var next = Next(data);
        if (next.Netns is { } netns)
        {
            return RemoveRules(next with { Netns = netns });
        }

        capture.LocateAsync(next.Pod, stopping.Token).PipeTo(Self, success: lookup => new NetnsLocated(next.Operation, lookup), failure: e => new NetnsLocated(next.Operation, new NetnsLookup.Failed(e.Message)));
        return GoTo(PodState.Removing).Using(next);
    }

    private State<PodState, PodData> RemoveRules(PodData data)
    {
        var next = Next(data);
        capture.RemoveAsync(next.Netns!, stopping.Token).PipeTo(Self, success: step => new StepDone(next.Operation, step), failure: e => new StepDone(next.Operation, CaptureStep.Failure(e.Message)));
        return Enter(PodState.Removing).Using(next);
    }

    private State<PodState, PodData> ClearMarks(PodData data)
    {
        var next = Next(data);
        Mark(next.Operation, ct => marks.ClearAsync(next.Pod.Ref, $"traffic capture removed: {next.RemovalReason}", ct));
        return Enter(PodState.Removing).Using(next);
    }

    private void Mark(int operation, Func<CancellationToken, Task<PodWriteOutcome>> write) =>
        write(stopping.Token).PipeTo(Self, success: outcome => new Marked(operation, outcome, null), failure: e => new Marked(operation, null, e.Message));

    private void Transitioned(PodState from, PodState to)
    {
        var data = NextStateData;
        var pod = data.Pod.Ref;
        if (from is PodState.Programming or PodState.Verifying && to is not PodState.Verifying)
        {
            coordinator.Tell(new ReleaseProgrammingSlot());
        }

        if (from == to && to == PodState.Pending)
        {
            log.Info("Pod {Namespace}/{Name} ({Uid}): actor started in {State}", pod.Namespace, pod.Name, pod.Uid, to);
        }
        else if (to == PodState.Failed)
        {
            log.Warning("Pod {Namespace}/{Name} ({Uid}): {From} -> {To}: {Error}", pod.Namespace, pod.Name, pod.Uid, from, to, data.Error);
        }
        else
        {
            log.Info("Pod {Namespace}/{Name} ({Uid}): {From} -> {To}", pod.Namespace, pod.Name, pod.Uid, from, to);
        }

        status.Tell(to == PodState.Failed
            ? new PodStateChanged(pod, from, to, Now, data.Error, data.Plan?.RulesText, data.Failure)
            : new PodStateChanged(pod, from, to, Now, null, data.Plan?.RulesText));
    }

    /// <summary>What an apply or remove did, on the pod's log line (the audit trail of what was changed in its netns).</summary>
    private PodData Logged(PodData data, CaptureStep step)
    {
        log.Info("Pod {Namespace}/{Name} ({Uid}): {Detail}", data.Pod.Ref.Namespace, data.Pod.Ref.Name, data.Pod.Uid, step.Detail);
        return data;
    }

    /// <summary>GoTo, except that staying in the same state is not a transition (no history entry, no log line).</summary>
    private State<PodState, PodData> Enter(PodState state) => StateName == state ? Stay() : GoTo(state);

    private static DateTimeOffset Now => Context.System.Scheduler.Now;

    private static string Problems(CapturePlanning.Invalid invalid) => string.Join("; ", invalid.Problems);

    private static PodData Next(PodData data) => data with { Operation = data.Operation + 1 };

    private sealed record NetnsLocated(int Operation, NetnsLookup Lookup);

    private sealed record LocateAgain;

    private sealed record StepDone(int Operation, CaptureStep Step);

    private sealed record Marked(int Operation, PodWriteOutcome? Outcome, string? Error);
}

/// <summary>Thrown by a <see cref="PodActor"/> to be restarted by its backoff supervisor.</summary>
public sealed class PodInitializationException(PodRef pod, string reason) : Exception($"{pod}: {reason}")
{
    public PodRef Pod { get; } = pod;

    public string Reason { get; } = reason;
}
