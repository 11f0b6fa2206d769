using System.Collections.Immutable;
using Akka.Actor;

namespace IstioPodNetwork.Actors.Commands;

/// <summary>
/// The commands this agent offers, per actor system: any part of the agent adds
/// its palette with <c>CommandPalettes.Get(system).Register(palette)</c>, at
/// start-up or later, and the command endpoint serves what is registered when a
/// request arrives. The <c>help</c> palette is always there and describes the rest,
/// so the client knows nothing of commands: the agent programs it.
/// </summary>
public sealed class CommandPalettes : IExtension
{
    /// <summary>Options of the ipnc client itself; a command may not use them.</summary>
    public static readonly ImmutableHashSet<string> ClientSwitches = ["-o", "--output", "--endpoint", "-h", "--help"];

    private static readonly CommandParameter<ImmutableArray<string>> HelpTopic = CommandParameters.Rest("COMMAND", "The command to describe; all commands when omitted.");

    private readonly Lock gate = new();
    private ImmutableList<CommandPalette> palettes = [];

    public CommandPalettes()
    {
        Register(new CommandPalette("help", [new CommandDefinition("help", "List the commands this agent offers, or describe one.", [HelpTopic], HelpAsync)]));
    }

    public static CommandPalettes Get(ActorSystem system) => system.WithExtension<CommandPalettes, CommandPalettesProvider>();

    public ImmutableArray<CommandDefinition> Commands => [.. palettes.SelectMany(p => p.Commands)];

    /// <summary>Adds a palette; a clash with a registered command or a client option is a programming error and throws.</summary>
    public void Register(CommandPalette palette)
    {
        lock (gate)
        {
            var known = Commands;
            foreach (var command in palette.Commands)
            {
                var clash = known.FirstOrDefault(k => IsPrefix(k.Words, command.Words) || IsPrefix(command.Words, k.Words));
                if (clash is not null)
                {
                    throw new ArgumentException($"command '{command.Name}' of palette '{palette.Name}' clashes with the registered command '{clash.Name}'", nameof(palette));
                }

                var reserved = command.Parameters.SelectMany(p => p.Switches).FirstOrDefault(ClientSwitches.Contains);
                if (reserved is not null)
                {
                    throw new ArgumentException($"command '{command.Name}' uses {reserved}, an option of the ipnc client", nameof(palette));
                }

                known = known.Add(command);
            }

            palettes = palettes.Add(palette);
        }
    }

    private static bool IsPrefix(ImmutableArray<string> prefix, ImmutableArray<string> words) =>
        prefix.Length <= words.Length && prefix.SequenceEqual(words.Take(prefix.Length));

    private async Task HelpAsync(CommandContext context)
    {
        var topic = context.Get(HelpTopic);
        if (topic.IsEmpty)
        {
            var commands = Commands;
            await context.WriteAsync(TableRecord.Of(
                "commands",
                commands.Select(c => new CommandRow(c.Usage, c.Description)),
                $"{Naming.Count(commands.Length, "command")}; 'ipnc help COMMAND' describes one, 'ipnc HOST:PORT COMMAND' asks another agent"));
            return;
        }

        var command = CommandParser.Find(Commands, topic);
        await context.WriteAsync(ObjectRecord.Of("command", new CommandRow(command.Usage, command.Description)));
        await context.WriteAsync(TableRecord.Of(
            "parameters",
            command.Parameters.Select(p => new ParameterRow(p.IsPositional ? p.ValueName : $"{string.Join(", ", p.Switches)} {p.ValueName}", p.DefaultText, p.Description)),
            $"{Naming.Count(command.Parameters.Length, "parameter")}; options may also be written --name=value"));
    }

    private sealed record CommandRow(string Command, string Description);

    private sealed record ParameterRow(string Parameter, string? Default, string Description);
}

public sealed class CommandPalettesProvider : ExtensionIdProvider<CommandPalettes>
{
    public override CommandPalettes CreateExtension(ExtendedActorSystem system) => new();
}
