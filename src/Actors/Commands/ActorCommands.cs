using Akka.Actor;

namespace IstioPodNetwork.Actors.Commands;

/// <summary>`actor hierarchy`: the actors of this agent, as paths.</summary>
public static class ActorCommands
{
    private static readonly CommandParameter<int> Depth = CommandParameters.Option(
        "-d|--depth", "N", "How many path levels to show (/user is level 1).", ValueParsers.Count(32), 4);

    public static CommandPalette Palette { get; } = new("actor",
    [
        new("actor hierarchy", "List this agent's actors, one path per line, sorted.", [Depth], HierarchyAsync),
    ]);

    private static async Task HierarchyAsync(CommandContext context)
    {
        var depth = context.Get(Depth);
        var actors = new List<ActorRow>();
        Walk(((ExtendedActorSystem)context.System).Provider.RootGuardian, 0, depth, actors);
        actors.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        await context.WriteAsync(TableRecord.Of("actors", actors, $"{Naming.Count(actors.Count, "actor")}, {Naming.Count(depth, "level")} deep"));
    }

    /// <summary>
    /// Reads each local actor's children directly (an immutable snapshot per actor)
    /// instead of broadcasting Identify to wildcards, so the answer is complete
    /// and immediate, with no window to wait out.
    /// </summary>
    private static void Walk(IActorRef actor, int level, int depth, List<ActorRow> actors)
    {
        if (level > 0)
        {
            var type = actor is ActorRefWithCell cell ? cell.Underlying.Props.Type.Name : null;
            actors.Add(new ActorRow(actor.Path.ToStringWithoutAddress(), type));
        }

        if (level < depth && actor is ActorRefWithCell parent)
        {
            foreach (var child in parent.Children)
            {
                Walk(child, level + 1, depth, actors);
            }
        }
    }

    private sealed record ActorRow(string Path, string? Type);
}
