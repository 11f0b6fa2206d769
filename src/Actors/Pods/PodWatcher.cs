using Akka.Actor;
using Akka.Event;
using IstioPodNetwork.Actors.Watching;
using IstioPodNetwork.Kube.Models;
using IstioPodNetwork.Kube.Watching;

namespace IstioPodNetwork.Actors.Pods;

/// <summary>Turns the node's pod watch into <see cref="PodObserved"/>/<see cref="PodRemoved"/> for the supervisor.</summary>
public sealed class PodWatcher : ReceiveActor
{
    private readonly IResourceWatch<Pod> watch;
    private WatchFeed? feed;
    private readonly ILoggingAdapter log = Context.GetLogger();

    public PodWatcher(IResourceWatch<Pod> watch, IActorRef supervisor)
    {
        this.watch = watch;
        Receive<ObjectUpserted<Pod>>(upserted => supervisor.Tell(new PodObserved(new PodSnapshot(upserted.Resource))));
        Receive<ObjectRemoved<Pod>>(removed => supervisor.Tell(new PodRemoved(PodSnapshot.RefOf(removed.Resource))));
        Receive<WatchSynced<Pod>>(synced =>
        {
            log.Info("Pod watch synced: {Count} pods on this node at resourceVersion {ResourceVersion}", synced.ObjectCount, synced.ResourceVersion);
            supervisor.Tell(new PodsSynced(synced.ObjectCount));
        });
        Receive<WatchInterrupted<Pod>>(interrupted =>
            log.Warning("Pod watch interrupted: {Reason}; resuming in {Delay}", interrupted.Reason, interrupted.RetryIn));
    }

    public static Props Props(IResourceWatch<Pod> watch, IActorRef supervisor) =>
        Akka.Actor.Props.Create(() => new PodWatcher(watch, supervisor));

    protected override void PreStart() => feed = WatchFeed.Start(watch, Self);

    protected override void PostStop() => feed?.Dispose();
}
