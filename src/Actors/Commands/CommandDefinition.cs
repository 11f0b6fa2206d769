using System.Collections.Immutable;
using Akka.Actor;

namespace IstioPodNetwork.Actors.Commands;

/// <summary>
/// Runs one invocation: writes records to <see cref="CommandContext.Output"/> and
/// returns; throws <see cref="CommandFailedException"/> (or
/// <see cref="CommandUsageException"/>) to end with an error. Streaming commands
/// run until <see cref="CommandContext.Cancellation"/> fires (the client hung up).
/// </summary>
public delegate Task CommandHandler(CommandContext context);

/// <summary>Where a handler's answer goes: the connection to the client, or a list in a spec. Await each write before the next.</summary>
public interface ICommandOutput
{
    ValueTask WriteAsync(ResponseRecord record, CancellationToken cancellation);
}

public sealed record CommandContext(ActorSystem System, CommandArguments Arguments, ICommandOutput Output, CancellationToken Cancellation)
{
    public T Get<T>(CommandParameter<T> parameter) => Arguments.Get(parameter);

    public ValueTask WriteAsync(ResponseRecord record) => Output.WriteAsync(record, Cancellation);
}

/// <summary>One command: its words ("cluster show"), what it does, its arguments and its handler.</summary>
public sealed record CommandDefinition(string Name, string Description, ImmutableArray<CommandParameter> Parameters, CommandHandler Handler)
{
    public ImmutableArray<string> Words { get; } = [.. Name.Split(' ', StringSplitOptions.RemoveEmptyEntries)];

    /// <summary>The usage line: `pods [--node N] [--namespace NS] [--state STATE]`.</summary>
    public string Usage => string.Join(' ', Parameters.Select(p => p.Usage).Prepend(Name));
}

/// <summary>A named set of commands an agent offers, registered with <see cref="CommandPalettes"/>.</summary>
public sealed record CommandPalette(string Name, ImmutableArray<CommandDefinition> Commands);
