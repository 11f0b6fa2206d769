using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster;

namespace IstioPodNetwork.Actors.Commands;

/// <summary>
/// Subscribes to this node's membership events for `cluster tail` and hands
/// them, after the current state as a snapshot, to the command's channel.
/// </summary>
public sealed class ClusterEventForwarder : ReceiveActor
{
    public ClusterEventForwarder(ChannelWriter<object> events)
    {
        Receive<ClusterEvent.CurrentClusterState>(state => events.TryWrite(state));
        Receive<ClusterEvent.IClusterDomainEvent>(e => events.TryWrite(e));
    }

    public static Props Props(ChannelWriter<object> events) => Akka.Actor.Props.Create(() => new ClusterEventForwarder(events));

    protected override void PreStart() => Cluster.Get(Context.System).Subscribe(
        Self,
        ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
        typeof(ClusterEvent.IMemberEvent),
        typeof(ClusterEvent.IReachabilityEvent),
        typeof(ClusterEvent.LeaderChanged));

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);
}
