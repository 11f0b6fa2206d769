using IstioPodNetwork.Actors.Commands;
using IstioPodNetwork.Host.Logging;

namespace IstioPodNetwork.Host.Commands;

/// <summary>`log peek`: the agent's recent log lines, without access to its container logs.</summary>
public static class LogCommands
{
    private const int DefaultLines = 20;

    public static CommandPalette Palette(RecentLogs logs)
    {
        var lines = CommandParameters.Option("-n|--lines", "N", "How many of the most recent lines to show.", ValueParsers.Count(logs.Capacity), DefaultLines);
        return new CommandPalette("log",
        [
            new("log peek", $"Show this agent's most recent log lines (it keeps the last {logs.Capacity}).", [lines], async context =>
            {
                var kept = logs.Last(context.Get(lines));
                await context.WriteAsync(TableRecord.Of(
                    "lines",
                    kept,
                    $"{kept.Count} of {Naming.Count(logs.Written, "line")} logged since the agent started"));
            }),
        ]);
    }
}
