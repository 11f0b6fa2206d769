using Akka.Actor;
using Akka.Event;
using Akka.Management.Cluster.Bootstrap;
using IstioPodNetwork.Kube;

namespace IstioPodNetwork.Host.Agent;

/// <summary>
/// Akka's lowest-address rule for forming a new cluster, except that the lowest-addressed agent does not
/// wait out the stable margin once it has found, and heard from, every agent the DaemonSet wants running.
/// </summary>
/// <remarks>
/// The margin (the set of agents found must stay unchanged that long) guards against forming a cluster on
/// a rollout seen only in part, while more agents are still starting. A DaemonSet says how many agents it
/// runs (one per node it schedules to), so a rollout seen whole needs no such wait. When that count is
/// unknown or not yet reached, or the API cannot be asked, Akka's rule applies unchanged. Only the agent
/// that would form the cluster asks, at most once per decision round, and only until it has.
/// </remarks>
public sealed class RolloutJoinDecider : LowestAddressJoinDecider
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(3);

    private readonly ActorSystem system;
    private bool wholeRolloutSeen;
    private bool askFailedBefore;

    /// <summary>Made by Akka Cluster Bootstrap (join-decider.class), after the agent registered its <see cref="PeerSearch"/>.</summary>
    public RolloutJoinDecider(ActorSystem system, ClusterBootstrapSettings settings)
        : base(system, settings)
    {
        this.system = system;
    }

    public override async Task<IJoinDecision> Decide(SeedNodesInformation info)
    {
        wholeRolloutSeen = WaitsOnlyForTheMargin(info) && await EveryWantedAgentFoundAsync(info.ContactPoints.Count);
        return await base.Decide(info);
    }

    protected override bool IsPastStableMargin(SeedNodesInformation info) => wholeRolloutSeen || base.IsPastStableMargin(info);

    /// <summary>Whether this agent would form the cluster now, but for the stable margin.</summary>
    private bool WaitsOnlyForTheMargin(SeedNodesInformation info) =>
        !info.HasSeedNodes
        && Settings.NewClusterEnabled
        && HasEnoughContactPoints(info)
        && !base.IsPastStableMargin(info)
        && info.ContactPoints.All(c => info.SeedNodesObservations.Any(o => o.ContactPoint.Equals(c)))
        && LowestAddressContactPoint(info) is { } lowest
        && CanJoinSelf(lowest, info);

    private async Task<bool> EveryWantedAgentFoundAsync(int found)
    {
        var search = system.GetExtension<PeerSearch>();
        try
        {
            using var timeout = new CancellationTokenSource(AskTimeout);
            var wanted = await AgentPeers.WantedAsync(search.Api, search.Namespace, search.Selector, timeout.Token);
            if (wanted is null || wanted.Count != found)
            {
                return false;
            }

            Log.Info(
                "All {0} agents DaemonSet {1} wants are found and have answered: forming the cluster without waiting out the stable margin",
                found, wanted.DaemonSet);
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Once is enough to point at the cause (RBAC without the Role, say); the margin then applies as in Akka.
            if (!askFailedBefore)
            {
                Log.Warning("Could not read how many agents the DaemonSet wants ({0}); waiting out the stable margin", e.Message);
                askFailedBefore = true;
            }

            return false;
        }
    }
}
