using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using IstioPodNetwork.Actors.Pods;

namespace IstioPodNetwork.Actors.Namespaces;

/// <summary>
/// The opted-in namespace set, replicated to every node with Akka.DistributedData: the singleton
/// <see cref="NamespaceWatcher"/> tells its node's replica each change, which writes it; every
/// node's replica tells its pod supervisor what arrives. Each node keeps working on the last set it
/// saw while the singleton moves or the node is cut off.
/// </summary>
/// <remarks>
/// One writer at a time (the singleton) replaces the whole set, so a last-writer-wins register fits;
/// its clock never goes back from what this replica has seen, so a new singleton's write wins even
/// when its wall clock lags the old one's.
/// </remarks>
public sealed class OptedInNamespacesReplica : ReceiveActor
{
    public static readonly LWWRegisterKey<string> Key = new("opted-in-namespaces");

    private readonly ILoggingAdapter log = Context.GetLogger();
    private readonly IActorRef replicator = DistributedData.Get(Context.System).Replicator;
    private readonly UniqueAddress self = Cluster.Get(Context.System).SelfUniqueAddress;

    public OptedInNamespacesReplica(IActorRef subscriber)
    {
        Receive<OptedInNamespacesChanged>(changed =>
        {
            var value = Encode(changed.Namespaces);
            replicator.Tell(Dsl.Update(Key, new LWWRegister<string>(self, value), new WriteMajority(TimeSpan.FromSeconds(3)), register => register.WithValue(self, value)));
        });
        Receive<Changed>(changed => subscriber.Tell(new OptedInNamespacesChanged(Decode(changed.Get(Key).Value))));
        Receive<UpdateSuccess>(_ => { });
        Receive<IUpdateFailure>(failure =>
            log.Warning("The opted-in namespaces were written locally but did not reach a majority in time ({Failure}); gossip spreads them", failure.GetType().Name));
    }

    public static Props Props(IActorRef subscriber) => Akka.Actor.Props.Create(() => new OptedInNamespacesReplica(subscriber));

    protected override void PreStart() => replicator.Tell(Dsl.Subscribe(Key, Self));

    private static string Encode(ImmutableHashSet<string> namespaces) => string.Join('\n', namespaces.Order(StringComparer.Ordinal));

    private static ImmutableHashSet<string> Decode(string value) =>
        [.. value.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
}
