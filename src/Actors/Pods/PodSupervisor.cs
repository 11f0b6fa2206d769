using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using IstioPodNetwork.Actors.Ports;
using IstioPodNetwork.Kube;

namespace IstioPodNetwork.Actors.Pods;

public sealed record PodSupervisorSettings(
    ImmutableHashSet<string> ExcludedNamespaces,
    int MaxConcurrentProgramming,
    TimeSpan MinBackoff,
    TimeSpan MaxBackoff,
    double BackoffRandomFactor,
    int MaxRetries,
    PodActorSettings Pod);

/// <summary>
/// Decides which pods of this node get initialized and gives each one its own
/// <see cref="PodActor"/> (keyed by UID) under a backoff supervisor, so a failing
/// pod retries on its own schedule and never touches another. Also bounds how
/// many pods are programmed at once, since each spawns processes.
/// </summary>
public sealed class PodSupervisor : ReceiveActor
{
    private readonly IPodCapture capture;
    private readonly IPodStatusWriter marks;
    private readonly IActorRef status;
    private readonly PodSupervisorSettings settings;
    private readonly ILoggingAdapter log = Context.GetLogger();

    private readonly Dictionary<string, PodSnapshot> pods = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IActorRef> children = new(StringComparer.Ordinal);
    private readonly HashSet<string> stoppingOnPurpose = new(StringComparer.Ordinal);

    /// <summary>Pods whose backoff supervisor gave up, with what they looked like then; a real change retries them.</summary>
    private readonly Dictionary<string, string> gaveUp = new(StringComparer.Ordinal);

    private readonly HashSet<IActorRef> slotHolders = [];
    private readonly LinkedList<IActorRef> slotQueue = new();
    private ImmutableHashSet<string> optedInNamespaces = ImmutableHashSet<string>.Empty;

    public PodSupervisor(IPodCapture capture, IPodStatusWriter marks, IActorRef status, PodSupervisorSettings settings)
    {
        this.capture = capture;
        this.marks = marks;
        this.status = status;
        this.settings = settings;

        Receive<PodObserved>(observed =>
        {
            pods[observed.Pod.Uid] = observed.Pod;
            Evaluate(observed.Pod);
        });
        Receive<PodRemoved>(removed => Forget(removed.Pod));
        Receive<PodsSynced>(synced => status.Forward(synced));
        Receive<OptedInNamespacesChanged>(changed =>
        {
            status.Forward(changed);
            NamespacesChanged(changed.Namespaces);
        });
        Receive<GetPodSnapshot>(get =>
        {
            if (pods.TryGetValue(get.Uid, out var pod))
            {
                Sender.Tell(new PodObserved(pod));
            }
        });
        Receive<RetryPod>(Retry);
        Receive<RequestProgrammingSlot>(_ => RequestSlot(Sender));
        Receive<ReleaseProgrammingSlot>(_ => ReleaseSlot(Sender));
        Receive<Terminated>(terminated => OnTerminated(terminated.ActorRef));
    }

    public static Props Props(IPodCapture capture, IPodStatusWriter marks, IActorRef status, PodSupervisorSettings settings) =>
        Akka.Actor.Props.Create(() => new PodSupervisor(capture, marks, status, settings));

    private void NamespacesChanged(ImmutableHashSet<string> namespaces)
    {
        var changed = namespaces.SymmetricExcept(optedInNamespaces);
        optedInNamespaces = namespaces;
        foreach (var pod in pods.Values.Where(p => changed.Contains(p.Ref.Namespace)).ToList())
        {
            Evaluate(pod);
        }
    }

    private void Evaluate(PodSnapshot pod)
    {
        var decision = OptIn.Decide(pod, optedInNamespaces.Contains(pod.Ref.Namespace), settings.ExcludedNamespaces);
        children.TryGetValue(pod.Uid, out var child);
        switch (decision)
        {
            case PodDecision.Initialize or PodDecision.WaitForPodIp when child is not null:
                child.Tell(new PodObserved(pod));
                break;
            case PodDecision.Initialize or PodDecision.WaitForPodIp:
                if (gaveUp.TryGetValue(pod.Uid, out var lastSeen) && lastSeen == WhatMatters(pod))
                {
                    break;
                }

                gaveUp.Remove(pod.Uid);
                Start(pod);
                break;
            case PodDecision.Skip skip when child is not null && stoppingOnPurpose.Add(pod.Uid):
                log.Info("Pod {Namespace}/{Name} ({Uid}): no longer to be initialized: {Reason}", pod.Ref.Namespace, pod.Ref.Name, pod.Uid, skip.Reason);
                if (skip.OptedOut)
                {
                    child.Tell(new StopCapture(skip.Reason));
                }
                else
                {
                    Context.Stop(child);
                }

                break;
        }
    }

    private void Start(PodSnapshot pod)
    {
        var props = PodActor.Props(pod, capture, marks, Self, status, settings.Pod);
        var options = Backoff.OnFailure(props, "pod", settings.MinBackoff, settings.MaxBackoff, settings.BackoffRandomFactor, settings.MaxRetries)
            .WithManualReset();
        var child = Context.ActorOf(BackoffSupervisor.Props(options), pod.Uid);
        Context.Watch(child);
        children[pod.Uid] = child;
    }

    private void Forget(PodRef pod)
    {
        pods.Remove(pod.Uid);
        gaveUp.Remove(pod.Uid);
        if (children.TryGetValue(pod.Uid, out var child))
        {
            stoppingOnPurpose.Add(pod.Uid);
            Context.Stop(child);
        }

        status.Tell(new PodForgotten(pod));
    }

    private void Retry(RetryPod retry)
    {
        var pod = pods.Values.FirstOrDefault(p => p.Ref.Namespace == retry.Namespace && p.Ref.Name == retry.Name);
        if (pod is null)
        {
            Sender.Tell(new RetryPodResult(false, $"pod {retry.Namespace}/{retry.Name} is not on this node"));
            return;
        }

        if (OptIn.Decide(pod, optedInNamespaces.Contains(pod.Ref.Namespace), settings.ExcludedNamespaces) is PodDecision.Skip skip)
        {
            Sender.Tell(new RetryPodResult(false, $"pod {retry.Namespace}/{retry.Name} is not to be initialized: {skip.Reason}"));
            return;
        }

        gaveUp.Remove(pod.Uid);
        if (children.TryGetValue(pod.Uid, out var child))
        {
            child.Tell(retry);
        }
        else
        {
            Start(pod);
        }

        Sender.Tell(new RetryPodResult(true, $"pod {retry.Namespace}/{retry.Name} will be programmed again"));
    }

    private void OnTerminated(IActorRef actor)
    {
        var uid = children.FirstOrDefault(pair => pair.Value.Equals(actor)).Key;
        if (uid is null)
        {
            ReleaseSlot(actor);
            return;
        }

        children.Remove(uid);
        if (!stoppingOnPurpose.Remove(uid) && pods.TryGetValue(uid, out var pod))
        {
            gaveUp[uid] = WhatMatters(pod);
            log.Warning("Pod {Namespace}/{Name} ({Uid}): gave up after {Retries} retries; it stays Failed until it changes or is retried", pod.Ref.Namespace, pod.Ref.Name, pod.Uid, settings.MaxRetries);
            status.Tell(new PodGaveUp(pod.Ref, $"gave up after {settings.MaxRetries} retries"));
        }
    }

    /// <summary>The parts of a pod whose change is worth another try: the rules it asks for and its IPs (not our own marks).</summary>
    private string WhatMatters(PodSnapshot pod)
    {
        var rules = capture.Plan(pod) switch
        {
            CapturePlanning.Planned planned => planned.Plan.Fingerprint,
            CapturePlanning.Invalid invalid => string.Join(";", invalid.Problems),
            _ => string.Empty,
        };
        return rules + "|" + string.Join(",", pod.PodIps);
    }

    private void RequestSlot(IActorRef requester)
    {
        if (slotHolders.Contains(requester) || slotQueue.Contains(requester))
        {
            return;
        }

        Context.Watch(requester);
        if (slotHolders.Count < settings.MaxConcurrentProgramming)
        {
            slotHolders.Add(requester);
            requester.Tell(new ProgrammingSlotGranted());
        }
        else
        {
            slotQueue.AddLast(requester);
        }
    }

    private void ReleaseSlot(IActorRef holder)
    {
        if (!slotHolders.Remove(holder) && !slotQueue.Remove(holder))
        {
            return;
        }

        Context.Unwatch(holder);
        while (slotHolders.Count < settings.MaxConcurrentProgramming && slotQueue.First is { } next)
        {
            slotQueue.RemoveFirst();
            slotHolders.Add(next.Value);
            next.Value.Tell(new ProgrammingSlotGranted());
        }
    }
}
