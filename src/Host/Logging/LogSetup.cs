using IstioPodNetwork.Host.Configuration;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace IstioPodNetwork.Host.Logging;

/// <summary>
/// Serilog to standard error (standard output is for command results): readable
/// text or JSON lines; and to <see cref="RecentLogs.Agent"/> for `ipnc log peek`.
/// </summary>
public static class LogSetup
{
    private const string TextTemplate = "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {Message:lj}{NewLine}{Exception}";

    public static Logger Create(LogFormat format, LogEventLevel minimum)
    {
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Is(minimum)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .Enrich.FromLogContext()
            .WriteTo.Sink(RecentLogs.Agent);
        return (format == LogFormat.Json
                ? configuration.WriteTo.Console(new RenderedCompactJsonFormatter(), standardErrorFromLevel: LogEventLevel.Verbose)
                : configuration.WriteTo.Console(outputTemplate: TextTemplate, standardErrorFromLevel: LogEventLevel.Verbose, formatProvider: System.Globalization.CultureInfo.InvariantCulture))
            .CreateLogger();
    }
}
