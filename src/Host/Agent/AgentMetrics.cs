using Akka.Actor;
using Akka.Cluster;
using IstioPodNetwork.Actors.Pods;
using IstioPodNetwork.Actors.Status;
using Prometheus;

namespace IstioPodNetwork.Host.Agent;

/// <summary>
/// The agent's Prometheus metrics, served at /metrics on the health port: this node's pods by state,
/// how long programming a pod takes, failures by reason, and the cluster's members by status as this
/// node sees them. Fed from the event stream and cluster events; it changes nothing.
/// </summary>
public sealed class AgentMetrics : ReceiveActor
{
    private static readonly Gauge Pods = Metrics.CreateGauge(
        "ipnc_pods", "Opted-in pods on this node, by state.", new GaugeConfiguration { LabelNames = ["state"] });

    private static readonly Histogram Programming = Metrics.CreateHistogram(
        "ipnc_pod_programming_seconds",
        "From starting to look for a pod's network namespace to the pod marked initialized.",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.005, 2, 14) });

    private static readonly Counter Failures = Metrics.CreateCounter(
        "ipnc_pod_failures_total", "Pod initialization failures, by what failed.", new CounterConfiguration { LabelNames = ["reason"] });

    private static readonly Gauge Members = Metrics.CreateGauge(
        "ipnc_cluster_members", "Members of the agents' cluster as this node sees them, by status (unreachable counted apart).", new GaugeConfiguration { LabelNames = ["status"] });

    private readonly Dictionary<string, DateTimeOffset> programmingSince = new(StringComparer.Ordinal);
    private readonly Dictionary<UniqueAddress, Member> members = [];
    private readonly HashSet<UniqueAddress> unreachable = [];

    public AgentMetrics()
    {
        Receive<NodePodsChanged>(changed =>
        {
            var counts = changed.Pods.GroupBy(p => p.State).ToDictionary(g => g.Key, g => g.Count());
            foreach (var state in Enum.GetValues<PodState>())
            {
                Pods.WithLabels(state.ToString()).Set(counts.GetValueOrDefault(state));
            }
        });
        Receive<PodStateChanged>(Measure);
        Receive<ClusterEvent.CurrentClusterState>(state =>
        {
            members.Clear();
            unreachable.Clear();
            foreach (var member in state.Members)
            {
                members[member.UniqueAddress] = member;
            }

            unreachable.UnionWith(state.Unreachable.Select(m => m.UniqueAddress));
            CountMembers();
        });
        Receive<ClusterEvent.MemberRemoved>(removed =>
        {
            members.Remove(removed.Member.UniqueAddress);
            unreachable.Remove(removed.Member.UniqueAddress);
            CountMembers();
        });
        Receive<ClusterEvent.IMemberEvent>(changed =>
        {
            members[changed.Member.UniqueAddress] = changed.Member;
            CountMembers();
        });
        Receive<ClusterEvent.UnreachableMember>(e =>
        {
            unreachable.Add(e.Member.UniqueAddress);
            CountMembers();
        });
        Receive<ClusterEvent.ReachableMember>(e =>
        {
            unreachable.Remove(e.Member.UniqueAddress);
            CountMembers();
        });
    }

    public static Props Props() => Akka.Actor.Props.Create(() => new AgentMetrics());

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(NodePodsChanged));
        Context.System.EventStream.Subscribe(Self, typeof(PodStateChanged));
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
    }

    protected override void PostStop()
    {
        Context.System.EventStream.Unsubscribe(Self);
        Cluster.Get(Context.System).Unsubscribe(Self);
    }

    private void Measure(PodStateChanged changed)
    {
        switch (changed.To)
        {
            case PodState.LocatingNetns when !programmingSince.ContainsKey(changed.Pod.Uid):
                programmingSince[changed.Pod.Uid] = changed.At;
                break;
            case PodState.Initialized when programmingSince.Remove(changed.Pod.Uid, out var since):
                Programming.Observe((changed.At - since).TotalSeconds);
                break;
            case PodState.Failed:
                programmingSince.Remove(changed.Pod.Uid);
                Failures.WithLabels(changed.Failure?.ToString() ?? "Unknown").Inc();
                break;
            case PodState.Removing:
                programmingSince.Remove(changed.Pod.Uid);
                break;
        }
    }

    /// <summary>Counted from the events themselves: Cluster.State may not have caught up when an event arrives.</summary>
    private void CountMembers()
    {
        var byStatus = members.Values.Where(m => !unreachable.Contains(m.UniqueAddress)).GroupBy(m => m.Status).ToDictionary(g => g.Key, g => g.Count());
        foreach (var status in Enum.GetValues<MemberStatus>())
        {
            Members.WithLabels(status.ToString().ToLowerInvariant()).Set(byStatus.GetValueOrDefault(status));
        }

        Members.WithLabels("unreachable").Set(unreachable.Count);
    }
}
