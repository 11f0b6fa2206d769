using Akka.Actor;
using Akka.Event;
using IstioPodNetwork.Actors.Watching;
using IstioPodNetwork.Kube.Watching;
using k8s.Models;

namespace IstioPodNetwork.Actors.Pods;

/// <summary>Turns the node's pod watch into <see cref="PodObserved"/>/<see cref="PodRemoved"/> for the supervisor.</summary>
public sealed class PodWatcher : ReceiveActor
{
    private readonly IResourceWatch<V1Pod> watch;
    private WatchFeed? feed;
    private readonly ILoggingAdapter log = Context.GetLogger();

    public PodWatcher(IResourceWatch<V1Pod> watch, IActorRef supervisor)
    {
        this.watch = watch;
        Receive<ObjectUpserted<V1Pod>>(upserted => supervisor.Tell(new PodObserved(new PodSnapshot(upserted.Resource))));
        Receive<ObjectRemoved<V1Pod>>(removed => supervisor.Tell(new PodRemoved(PodSnapshot.RefOf(removed.Resource))));
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

    protected override void PreStart() => feed = WatchFeed.Start(watch, Self);

    protected override void PostStop() => feed?.Dispose();
}
