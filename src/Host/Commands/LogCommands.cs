using System.Globalization;
using IstioPodNetwork.Actors.Commands;
using IstioPodNetwork.Host.Logging;
using Serilog.Events;
using Serilog.Formatting.Display;

namespace IstioPodNetwork.Host.Commands;

/// <summary>`log peek`: the agent's recent log lines, without access to its container logs.</summary>
public static class LogCommands
{
    private const int DefaultLines = 20;

    /// <summary>Messages as the agent's text log renders them: strings unquoted.</summary>
    private static readonly MessageTemplateTextFormatter MessageFormatter = new("{Message:lj}", CultureInfo.InvariantCulture);

    public static CommandPalette Palette(RecentLogs logs)
    {
        var lines = CommandParameters.Option("-n|--lines", "N", "How many of the most recent lines to show.", ValueParsers.Count(logs.Capacity), DefaultLines);
        return new CommandPalette("log",
        [
            new("log peek", $"Show this agent's most recent log lines (it keeps the last {logs.Capacity}).", [lines], async context =>
            {
                var events = logs.Last(context.Get(lines));
                await context.WriteAsync(TableRecord.Of(
                    "lines",
                    events.Select(e => new LogRow(e.Timestamp, e.Level, Message(e))),
                    $"{events.Count} of {Naming.Count(logs.Written, "line")} logged since the agent started"));
            }),
        ]);
    }

    private static string Message(LogEvent e)
    {
        using var message = new StringWriter(CultureInfo.InvariantCulture);
        MessageFormatter.Format(e, message);
        return e.Exception is null ? message.ToString() : $"{message} ({e.Exception.GetType().Name}: {e.Exception.Message})";
    }

    private sealed record LogRow(DateTimeOffset Time, LogEventLevel Level, string Message);
}
