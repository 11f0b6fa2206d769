using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using IstioPodNetwork.Actors.Pods;
using IstioPodNetwork.Actors.Watching;
using IstioPodNetwork.Kube;
using IstioPodNetwork.Kube.Models;
using IstioPodNetwork.Kube.Watching;

namespace IstioPodNetwork.Actors.Namespaces;

/// <summary>
/// Keeps the set of namespaces annotated <c>istio-pod-network-controller/initialize: "true"</c>
/// and tells <paramref name="subscriber"/> whenever it changes (and once when first synced).
/// </summary>
public sealed class NamespaceWatcher : ReceiveActor
{
    private readonly IResourceWatch<KubeNamespace> watch;
    private WatchFeed? feed;
    private readonly ILoggingAdapter log = Context.GetLogger();
    private ImmutableHashSet<string> optedIn = ImmutableHashSet<string>.Empty;

    /// <summary>Until the first list is reconciled, changes are gathered and told once, complete.</summary>
    private bool synced;

    public NamespaceWatcher(IResourceWatch<KubeNamespace> watch, IActorRef subscriber)
    {
        this.watch = watch;
        Receive<ObjectUpserted<KubeNamespace>>(upserted =>
        {
            var name = NameOf(upserted.Resource);
            Publish(IsOptedIn(upserted.Resource) ? optedIn.Add(name) : optedIn.Remove(name), subscriber);
        });
        Receive<ObjectRemoved<KubeNamespace>>(removed => Publish(optedIn.Remove(NameOf(removed.Resource)), subscriber));
        Receive<WatchSynced<KubeNamespace>>(_ =>
        {
            synced = true;
            log.Info("Namespace watch synced: {Count} opted-in namespace(s): {Namespaces}", optedIn.Count, string.Join(", ", optedIn.Order()));
            subscriber.Tell(new OptedInNamespacesChanged(optedIn));
        });
        Receive<WatchInterrupted<KubeNamespace>>(interrupted =>
            log.Warning("Namespace watch interrupted: {Reason}; resuming in {Delay}", interrupted.Reason, interrupted.RetryIn));
    }

    public static Props Props(IResourceWatch<KubeNamespace> watch, IActorRef subscriber) =>
        Akka.Actor.Props.Create(() => new NamespaceWatcher(watch, subscriber));

    public static bool IsOptedIn(KubeNamespace ns) =>
        ns.Metadata.Annotations?.TryGetValue(PodMarkers.InitializeAnnotation, out var value) == true
        && bool.TryParse(value.Trim(), out var flag) && flag;

    /// <summary>A namespace's name, which the API always gives (a namespace is cluster-scoped: no namespace of its own).</summary>
    private static string NameOf(KubeNamespace ns) => ns.Metadata.Name ?? string.Empty;

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
