using System.Collections.Concurrent;
using System.Text.Json;
using Akka.Actor;
using IstioPodNetwork.Actors.Commands;

namespace IstioPodNetwork.Actors.Tests.Commands;

/// <summary>Runs a command line the way the endpoint does, keeping what the handler writes.</summary>
public sealed class RecordingOutput : ICommandOutput
{
    public ConcurrentQueue<ResponseRecord> Records { get; } = new();

    public static async Task<RecordingOutput> RunAsync(ActorSystem system, string line, CancellationToken cancellation = default)
    {
        var output = new RecordingOutput();
        var parsed = CommandParser.Parse(CommandPalettes.Get(system).Commands, line.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        await parsed.Command.Handler(new CommandContext(system, parsed.Arguments, output, cancellation));
        return output;
    }

    public ValueTask WriteAsync(ResponseRecord record, CancellationToken cancellation)
    {
        Records.Enqueue(record);
        return ValueTask.CompletedTask;
    }

    public TableRecord Table(string name) => Records.OfType<TableRecord>().Single(t => t.Name == name);

    public JsonElement Item(string name) => Records.OfType<ObjectRecord>().Single(o => o.Name == name).Value;

    /// <summary>One column of a table, as text.</summary>
    public IReadOnlyList<string?> Column(string table, string column) =>
        [.. Table(table).Rows.Select(r => r.GetProperty(column).ValueKind == JsonValueKind.Null ? null : r.GetProperty(column).ToString())];
}
