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
    public static async Task<TAnswer> AskAsync<TAnswer>(ActorSystem system, string name, object question, string needed, CancellationToken cancellation)
    {
        var actor = await ResolveAsync(system, name, needed, cancellation);
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
