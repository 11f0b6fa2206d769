using System.Collections.Immutable;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using IstioPodNetwork.Actors.Pods;
using IstioPodNetwork.Kube;

namespace IstioPodNetwork.Actors.Status;

/// <summary>This node's pods, as <see cref="NodeStatus"/> last reported them (to be replicated).</summary>
public sealed record NodePodsChanged(ImmutableArray<PodStatusEntry> Pods);

/// <summary>Every node's pods, as replicated: state, since when, last error (no history).</summary>
public sealed record GetClusterPodStatuses;

public sealed record ClusterPodStatusesResult(ImmutableArray<PodStatusEntry> Pods);

/// <summary>
/// Pod states shared across the cluster with Akka.DistributedData: each node writes its own map
/// (pod UID → summary) under its own key, so any node can answer for all of them.
/// </summary>
public sealed class PodStateReplica : ReceiveActor
{
    public const string KeyPrefix = "pod-states/";

    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(3);
    private readonly IActorRef replicator = DistributedData.Get(Context.System).Replicator;
    private readonly UniqueAddress self = Cluster.Get(Context.System).SelfUniqueAddress;

    public PodStateReplica(string nodeName)
    {
        var key = KeyOf(nodeName);
        Receive<NodePodsChanged>(changed =>
        {
            var desired = changed.Pods.ToDictionary(p => p.Pod.Uid, p => JsonSerializer.Serialize(PodSummary.Of(p)), StringComparer.Ordinal);
            replicator.Tell(Dsl.Update(key, LWWDictionary<string, string>.Empty, WriteLocal.Instance, map => Reconcile(map, desired)));
        });
        Receive<GetClusterPodStatuses>(_ => ReadAll().PipeTo(Sender));
        Receive<UpdateSuccess>(_ => { });
    }

    public static Props Props(string nodeName) => Akka.Actor.Props.Create(() => new PodStateReplica(nodeName));

    public static LWWDictionaryKey<string, string> KeyOf(string nodeName) => new(KeyPrefix + nodeName);

    /// <summary>Makes the node's map exactly <paramref name="desired"/>; entries left by an earlier run of this node go too.</summary>
    private LWWDictionary<string, string> Reconcile(LWWDictionary<string, string> map, Dictionary<string, string> desired)
    {
        var next = map;
        foreach (var stale in map.Keys.Where(uid => !desired.ContainsKey(uid)).ToList())
        {
            next = next.Remove(self, stale);
        }

        foreach (var (uid, summary) in desired)
        {
            if (!map.TryGetValue(uid, out var known) || known != summary)
            {
                next = next.SetItem(self, uid, summary);
            }
        }

        return next;
    }

    private async Task<ClusterPodStatusesResult> ReadAll()
    {
        var ids = await replicator.Ask<GetKeysIdsResult>(Dsl.GetKeyIds, ReadTimeout);
        var reads = ids.Keys
            .Where(id => id.StartsWith(KeyPrefix, StringComparison.Ordinal))
            .Select(id => replicator.Ask<IGetResponse>(Dsl.Get(new LWWDictionaryKey<string, string>(id), ReadLocal.Instance), ReadTimeout));
        var entries = ImmutableArray.CreateBuilder<PodStatusEntry>();
        foreach (var response in await Task.WhenAll(reads))
        {
            if (response is GetSuccess success && success.Data is LWWDictionary<string, string> map)
            {
                entries.AddRange(map.Entries.Values.Select(json => JsonSerializer.Deserialize<PodSummary>(json)!.ToEntry()));
            }
        }

        return new ClusterPodStatusesResult(entries.ToImmutable());
    }

    /// <summary>What is replicated of a pod's state: small, stable JSON.</summary>
    private sealed record PodSummary(string Namespace, string Name, string Uid, string Node, PodState State, DateTimeOffset Since, string? LastError, bool GaveUp)
    {
        public static PodSummary Of(PodStatusEntry entry) =>
            new(entry.Pod.Namespace, entry.Pod.Name, entry.Pod.Uid, entry.Node, entry.State, entry.Since, entry.LastError, entry.GaveUp);

        public PodStatusEntry ToEntry() =>
            new(new PodRef(Namespace, Name, Uid), Node, State, Since, LastError, GaveUp, RulesInForce: null, ImmutableList<PodStateChanged>.Empty);
    }
}
