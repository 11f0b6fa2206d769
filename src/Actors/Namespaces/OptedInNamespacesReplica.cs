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
/// The singleton's own node acts on a new set at once rather than at the replicator's next
/// notification round. While that node's writes are not yet answered, the replicator may still
/// notify (or a read-back return) an older value, so both are held back until every write is answered;
/// then the register is read once: nothing written meanwhile by another node is missed.
/// </remarks>
public sealed class OptedInNamespacesReplica : ReceiveActor
{
    public static readonly LWWRegisterKey<string> Key = new("opted-in-namespaces");

    private readonly ILoggingAdapter log = Context.GetLogger();
    private readonly IActorRef replicator = DistributedData.Get(Context.System).Replicator;
    private readonly UniqueAddress self = Cluster.Get(Context.System).SelfUniqueAddress;
    private readonly IActorRef subscriber;
    private int unansweredWrites;
    private string? told;

    public OptedInNamespacesReplica(IActorRef subscriber)
    {
        this.subscriber = subscriber;
        Receive<OptedInNamespacesChanged>(changed =>
        {
            var value = Encode(changed.Namespaces);
            unansweredWrites++;
            replicator.Tell(Dsl.Update(Key, new LWWRegister<string>(self, value), new WriteMajority(TimeSpan.FromSeconds(3)), register => register.WithValue(self, value)));
            Tell(value);
        });
        Receive<Changed>(changed =>
        {
            if (unansweredWrites == 0)
            {
                Tell(changed.Get(Key).Value);
            }
        });
        Receive<IUpdateResponse>(response =>
        {
            if (response is IUpdateFailure failure)
            {
                log.Warning("The opted-in namespaces were written locally but did not reach a majority in time ({Failure}); gossip spreads them", failure.GetType().Name);
            }

            if (--unansweredWrites == 0)
            {
                replicator.Tell(Dsl.Get(Key, ReadLocal.Instance));
            }
        });
        Receive<GetSuccess>(success =>
        {
            // Read before a write sent since: that write's own answer reads again.
            if (unansweredWrites == 0)
            {
                Tell(success.Get(Key).Value);
            }
        });
        Receive<NotFound>(_ => { });
    }

    public static Props Props(IActorRef subscriber) => Akka.Actor.Props.Create(() => new OptedInNamespacesReplica(subscriber));

    protected override void PreStart() => replicator.Tell(Dsl.Subscribe(Key, Self));

    private void Tell(string value)
    {
        if (value != told)
        {
            told = value;
            subscriber.Tell(new OptedInNamespacesChanged(Decode(value)));
        }
    }

    private static string Encode(ImmutableHashSet<string> namespaces) => string.Join('\n', namespaces.Order(StringComparer.Ordinal));

    private static ImmutableHashSet<string> Decode(string value) =>
        [.. value.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
}
