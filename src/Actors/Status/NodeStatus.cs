using System.Collections.Immutable;
using Akka.Actor;
using IstioPodNetwork.Actors.Pods;
using IstioPodNetwork.Kube;

namespace IstioPodNetwork.Actors.Status;

/// <summary>A pod's state as this node reports it, with its recent history.</summary>
public sealed record PodStatusEntry(
    PodRef Pod,
    string Node,
    PodState State,
    DateTimeOffset Since,
    string? LastError,
    bool GaveUp,
    string? RulesInForce,
    ImmutableList<PodStateChanged> History);

public sealed record GetPodStatuses;

/// <summary>The pods of <paramref name="Node"/>, as its own agent sees them (with history and rules).</summary>
public sealed record PodStatusesResult(string Node, ImmutableArray<PodStatusEntry> Pods);

public sealed record GetReadiness;

public sealed record ReadinessResult(bool PodsSynced, bool NamespacesKnown)
{
    public bool Ready => PodsSynced && NamespacesKnown;
}

/// <summary>
/// The view of this node's pods: each pod actor reports its transitions here, so
/// the state and a short history outlive the actor's restarts, and operators can
/// ask for them. Transitions and the node's pod list also go to the event stream,
/// for whoever measures them (the metrics).
/// </summary>
public sealed class NodeStatus : ReceiveActor, IWithTimers
{
    public const int HistoryLength = 20;

    /// <summary>Changes are handed to the replica at most this often, so a burst is one replicated write, not hundreds.</summary>
    public static readonly TimeSpan ReplicationInterval = TimeSpan.FromMilliseconds(250);

    private readonly Dictionary<string, PodStatusEntry> pods = new(StringComparer.Ordinal);
    private bool podsSynced;
    private bool namespacesKnown;
    private bool changedSinceReplicated = true;

    public NodeStatus(string nodeName, IActorRef replica)
    {
        Receive<PodStateChanged>(changed =>
        {
            var history = pods.TryGetValue(changed.Pod.Uid, out var known) ? known.History : ImmutableList<PodStateChanged>.Empty;
            if (history.Count >= HistoryLength)
            {
                history = history.RemoveAt(0);
            }

            pods[changed.Pod.Uid] = new PodStatusEntry(
                changed.Pod,
                nodeName,
                changed.To,
                changed.At,
                changed.To == PodState.Initialized ? null : changed.Error ?? known?.LastError,
                GaveUp: false,
                changed.RulesInForce ?? known?.RulesInForce,
                history.Add(changed));
            changedSinceReplicated = true;
            Context.System.EventStream.Publish(changed);
        });
        Receive<PodGaveUp>(gaveUp =>
        {
            if (pods.TryGetValue(gaveUp.Pod.Uid, out var known))
            {
                pods[gaveUp.Pod.Uid] = known with { GaveUp = true, LastError = $"{known.LastError} ({gaveUp.Reason})" };
                changedSinceReplicated = true;
            }
        });
        Receive<PodForgotten>(forgotten => changedSinceReplicated |= pods.Remove(forgotten.Pod.Uid));
        Receive<PodsSynced>(_ => podsSynced = true);
        Receive<OptedInNamespacesChanged>(_ => namespacesKnown = true);
        Receive<GetPodStatuses>(_ => Sender.Tell(new PodStatusesResult(nodeName, [.. pods.Values])));
        Receive<Replicate>(_ =>
        {
            if (changedSinceReplicated)
            {
                changedSinceReplicated = false;
                var current = new NodePodsChanged([.. pods.Values]);
                replica.Tell(current);
                Context.System.EventStream.Publish(current);
            }
        });
        Receive<GetReadiness>(_ => Sender.Tell(new ReadinessResult(podsSynced, namespacesKnown)));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="replica">Where this node's pod states go to be shared with the cluster (<see cref="PodStateReplica"/>).</param>
    public static Props Props(string nodeName, IActorRef replica) => Akka.Actor.Props.Create(() => new NodeStatus(nodeName, replica));

    protected override void PreStart() => Timers.StartPeriodicTimer("replicate", Replicate.Instance, ReplicationInterval);

    private sealed record Replicate
    {
        public static readonly Replicate Instance = new();
    }
}
