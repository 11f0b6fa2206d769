using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using IstioPodNetwork.Actors.Pods;
using IstioPodNetwork.Kube;
using IstioPodNetwork.Actors.Watching;
using IstioPodNetwork.Kube.Watching;
using k8s.Models;

namespace IstioPodNetwork.Actors.Namespaces;

/// <summary>
/// Keeps the set of namespaces annotated <c>istio-pod-network-controller/initialize: "true"</c>
/// and tells <paramref name="subscriber"/> whenever it changes (and once when first synced).
/// </summary>
public sealed class NamespaceWatcher : ReceiveActor
{
    private readonly IResourceWatch<V1Namespace> watch;
    private WatchFeed? feed;
    private readonly ILoggingAdapter log = Context.GetLogger();
    private ImmutableHashSet<string> optedIn = ImmutableHashSet<string>.Empty;

    /// <summary>Until the first list is reconciled, changes are gathered and told once, complete.</summary>
    private bool synced;

    public NamespaceWatcher(IResourceWatch<V1Namespace> watch, IActorRef subscriber)
    {
        this.watch = watch;
        Receive<ObjectUpserted<V1Namespace>>(upserted =>
        {
            var name = upserted.Resource.Metadata.Name;
            Publish(IsOptedIn(upserted.Resource) ? optedIn.Add(name) : optedIn.Remove(name), subscriber);
        });
        Receive<ObjectRemoved<V1Namespace>>(removed => Publish(optedIn.Remove(removed.Resource.Metadata.Name), subscriber));
        Receive<WatchSynced<V1Namespace>>(_ =>
        {
            synced = true;
            log.Info("Namespace watch synced: {Count} opted-in namespace(s): {Namespaces}", optedIn.Count, string.Join(", ", optedIn.Order()));
            subscriber.Tell(new OptedInNamespacesChanged(optedIn));
        });
        Receive<WatchInterrupted<V1Namespace>>(interrupted =>
            log.Warning("Namespace watch interrupted: {Reason}; resuming in {Delay}", interrupted.Reason, interrupted.RetryIn));
    }

    public static Props Props(IResourceWatch<V1Namespace> watch, IActorRef subscriber) =>
        Akka.Actor.Props.Create(() => new NamespaceWatcher(watch, subscriber));

    public static bool IsOptedIn(V1Namespace ns) =>
        ns.Metadata.Annotations?.TryGetValue(PodMarkers.InitializeAnnotation, out var value) == true
        && bool.TryParse(value.Trim(), out var flag) && flag;

    protected override void PreStart() => feed = WatchFeed.Start(watch, Self);

    protected override void PostStop() => feed?.Dispose();

    private void Publish(ImmutableHashSet<string> next, IActorRef subscriber)
    {
        if (next.SetEquals(optedIn))
        {
            return;
        }

        optedIn = next;
        if (synced)
        {
            log.Info("Opted-in namespaces: {Namespaces}", string.Join(", ", next.Order()));
            subscriber.Tell(new OptedInNamespacesChanged(optedIn));
        }
    }
}
