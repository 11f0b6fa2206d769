namespace IstioPodNetwork.Actors.Commands;

/// <summary>A command line matched to its command, with typed argument values.</summary>
public sealed record ParsedCommand(CommandDefinition Command, CommandArguments Arguments);

/// <summary>
/// Reads a command line against the registered commands: the longest command
/// whose words start the line, then its options (`--x V` or `--x=V`) and
/// positional arguments. Anything wrong is a <see cref="CommandUsageException"/>
/// naming the input, the value and what was expected.
/// </summary>
public static class CommandParser
{
    public static ParsedCommand Parse(IReadOnlyCollection<CommandDefinition> commands, IReadOnlyList<string> args)
    {
        var command = Find(commands, args);
        var values = new Dictionary<CommandParameter, object?>();
        var positional = new Queue<CommandParameter>(command.Parameters.Where(p => p.IsPositional));
        var rest = new List<string>();
        for (var i = command.Words.Length; i < args.Count; i++)
        {
            var token = args[i];
            if (token.Length > 1 && token[0] == '-')
            {
                var (name, inlineValue) = SplitOption(token);
                var option = command.Parameters.FirstOrDefault(p => p.Switches.Contains(name, StringComparer.Ordinal))
                    ?? throw new CommandUsageException($"unknown option '{name}' for '{command.Name}' (usage: {command.Usage})");
                if (values.ContainsKey(option))
                {
                    throw new CommandUsageException($"option {option.Label} is given more than once");
                }

                var value = inlineValue ?? (i + 1 < args.Count ? args[++i] : throw new CommandUsageException($"option {name} needs a value ({option.ValueName})"));
                values[option] = option.Parse([value]);
            }
            else if (positional.TryPeek(out var next) && next.TakesRest)
            {
                rest.Add(token);
            }
            else if (positional.TryDequeue(out var argument))
            {
                values[argument] = argument.Parse([token]);
            }
            else
            {
                throw new CommandUsageException($"unexpected argument '{token}' for '{command.Name}' (usage: {command.Usage})");
            }
        }

        foreach (var missing in positional)
        {
            if (!missing.TakesRest)
            {
                throw new CommandUsageException($"'{command.Name}' needs {missing.ValueName} (usage: {command.Usage})");
            }

            values[missing] = missing.Parse(rest);
        }

        return new ParsedCommand(command, new CommandArguments(values));
    }

    /// <summary>The command whose words begin <paramref name="args"/>, the longest one if several do.</summary>
    public static CommandDefinition Find(IReadOnlyCollection<CommandDefinition> commands, IReadOnlyList<string> args)
    {
        var match = commands
            .Where(c => c.Words.Length <= args.Count && c.Words.Select((w, i) => w == args[i]).All(same => same))
            .MaxBy(c => c.Words.Length);
        if (match is not null)
        {
            return match;
        }

        if (args.Count == 0)
        {
            throw new CommandUsageException("no command given (try 'ipnc help')");
        }

        var group = commands.Where(c => c.Words.Length > 1 && c.Words[0] == args[0]).Select(c => c.Words[1]).ToList();
        if (group.Count > 0)
        {
            var given = args.Count > 1 && !args[1].StartsWith('-') ? $"unknown command '{args[0]} {args[1]}'" : $"'{args[0]}' needs a command";
            throw new CommandUsageException($"{given}: '{args[0]}' takes {string.Join(", ", group)}");
        }

        throw new CommandUsageException($"unknown command '{args[0]}' (try 'ipnc help')");
    }

    private static (string Name, string? Value) SplitOption(string token)
    {
        var equals = token.IndexOf('=', StringComparison.Ordinal);
        return token.StartsWith("--", StringComparison.Ordinal) && equals > 2 ? (token[..equals], token[(equals + 1)..]) : (token, null);
    }
}
