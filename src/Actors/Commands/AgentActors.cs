using Akka.Actor;

namespace IstioPodNetwork.Actors.Commands;

/// <summary>
/// The agent's long-lived actors that commands talk to, found by their fixed
/// names under /user. The composition root must create them with these names.
/// </summary>
public static class AgentActors
{
    /// <summary>The <see cref="Status.NodeStatus"/> actor: /user/node-status.</summary>
    public const string NodeStatus = "node-status";

    /// <summary>The <see cref="Pods.PodSupervisor"/> actor: /user/pod-supervisor.</summary>
    public const string PodSupervisor = "pod-supervisor";

    /// <summary>The <see cref="Status.PodStateReplica"/> actor: /user/pod-state-replica (every node's pods, replicated).</summary>
    public const string PodStateReplica = "pod-state-replica";

    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(3);

    /// <summary>The actor /user/<paramref name="name"/>; a <see cref="CommandFailedException"/> saying what cannot be answered when it does not run.</summary>
    private static async Task<IActorRef> ResolveAsync(ActorSystem system, string name, string needed, CancellationToken cancellation)
    {
        try
        {
            return await system.ActorSelection("/user/" + name).ResolveOne(AnswerTimeout, cancellation);
        }
        catch (ActorNotFoundException)
        {
            throw new CommandFailedException($"this agent runs no /user/{name} actor, so it cannot answer {needed}");
        }
    }

    /// <summary>Asks a command's question of an agent actor, turning a timeout into a failure that names the actor.</summary>
    public static async Task<TAnswer> AskAsync<TAnswer>(ActorSystem system, string name, object question, string needed, CancellationToken cancellation) =>
        await AskAsync<TAnswer>(await ResolveAsync(system, name, needed, cancellation), name, question, cancellation);

    /// <summary>Like <see cref="AskAsync{TAnswer}(ActorSystem, string, object, string, CancellationToken)"/>, of the agent of another node, found by its member role.</summary>
    public static async Task<TAnswer> AskOnNodeAsync<TAnswer>(ActorSystem system, string node, string name, object question, CancellationToken cancellation)
    {
        var member = Akka.Cluster.Cluster.Get(system).State.Members.FirstOrDefault(m => MemberRoles.NodeName(m) == node && m.Status == Akka.Cluster.MemberStatus.Up)
            ?? throw new CommandFailedException($"node {node} has no agent in the cluster now, so it cannot answer");
        var path = new RootActorPath(member.Address) / "user" / name;
        IActorRef actor;
        try
        {
            actor = await system.ActorSelection(path).ResolveOne(AnswerTimeout, cancellation);
        }
        catch (ActorNotFoundException)
        {
            throw new CommandFailedException($"the agent of node {node} ({member.Address}) runs no /user/{name} actor");
        }

        return await AskAsync<TAnswer>(actor, $"{name} of node {node}", question, cancellation);
    }

    /// <summary>The replicated view of every node's pods, or null on an agent that does not replicate them.</summary>
    public static async Task<Status.ClusterPodStatusesResult?> ClusterPodStatusesAsync(ActorSystem system, CancellationToken cancellation)
    {
        try
        {
            var replica = await system.ActorSelection("/user/" + PodStateReplica).ResolveOne(AnswerTimeout, cancellation);
            return await AskAsync<Status.ClusterPodStatusesResult>(replica, PodStateReplica, new Status.GetClusterPodStatuses(), cancellation);
        }
        catch (ActorNotFoundException)
        {
            return null;
        }
    }

    private static async Task<TAnswer> AskAsync<TAnswer>(IActorRef actor, string name, object question, CancellationToken cancellation)
    {
        try
        {
            return await actor.Ask<TAnswer>(question, AnswerTimeout, cancellation);
        }
        catch (AskTimeoutException)
        {
            throw new CommandFailedException($"/user/{name} did not answer within {AnswerTimeout.TotalSeconds:0} s");
        }
    }
}
