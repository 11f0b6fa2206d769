using Akka.Actor;
using Akka.Event;
using IstioPodNetwork.Kube.Watching;
using k8s.Models;

namespace IstioPodNetwork.Actors.Pods;

/// <summary>Turns the node's pod watch into <see cref="PodObserved"/>/<see cref="PodRemoved"/> for the supervisor.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The cancellation source is disposed in PostStop, the end of the actor's life.")]
public sealed class PodWatcher : ReceiveActor
{
    private readonly IResourceWatch<V1Pod> watch;
    private readonly CancellationTokenSource stopping = new();
    private readonly ILoggingAdapter log = Context.GetLogger();

    public PodWatcher(IResourceWatch<V1Pod> watch, IActorRef supervisor)
    {
        this.watch = watch;
        Receive<ObjectUpserted<V1Pod>>(upserted => supervisor.Tell(new PodObserved(new PodSnapshot(upserted.Resource))));
        Receive<ObjectRemoved<V1Pod>>(removed => supervisor.Tell(new PodRemoved(new PodSnapshot(removed.Resource).Ref)));
        Receive<WatchSynced<V1Pod>>(synced =>
        {
            log.Info("Pod watch synced: {Count} pods on this node at resourceVersion {ResourceVersion}", synced.ObjectCount, synced.ResourceVersion);
            supervisor.Tell(new PodsSynced(synced.ObjectCount));
        });
        Receive<WatchInterrupted<V1Pod>>(interrupted =>
            log.Warning("Pod watch interrupted: {Reason}; resuming in {Delay}", interrupted.Reason, interrupted.RetryIn));
    }

    public static Props Props(IResourceWatch<V1Pod> watch, IActorRef supervisor) =>
        Akka.Actor.Props.Create(() => new PodWatcher(watch, supervisor));

    protected override void PreStart()
    {
        var self = Self;
        _ = watch.RunAsync(notification => self.Tell(notification), stopping.Token);
    }

    protected override void PostStop()
    {
        stopping.Cancel();
        stopping.Dispose();
    }
}
