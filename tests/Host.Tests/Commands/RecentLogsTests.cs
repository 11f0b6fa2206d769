using IstioPodNetwork.Host.Logging;
using Serilog;
using Serilog.Events;

namespace IstioPodNetwork.Host.Tests.Commands;

public sealed class RecentLogsTests
{
    [Fact]
    public void The_most_recent_events_are_kept_oldest_first_and_the_oldest_are_dropped()
    {
        var logs = new RecentLogs(3);
        using var logger = new LoggerConfiguration().WriteTo.Sink(logs).CreateLogger();

        for (var i = 1; i <= 5; i++)
        {
            logger.Information("line {Number}", i);
        }

        Assert.Equal(["line 3", "line 4", "line 5"], logs.Last(10).Select(e => e.Message));
        Assert.Equal(["line 4", "line 5"], logs.Last(2).Select(e => e.Message));
        Assert.Equal(5, logs.Written);
        Assert.All(logs.Last(3), e => Assert.Equal(LogEventLevel.Information, e.Level));
    }

    [Fact]
    public void A_line_reads_as_the_text_log_does_and_names_its_exception()
    {
        var logs = new RecentLogs(3);
        using var logger = new LoggerConfiguration().WriteTo.Sink(logs).CreateLogger();

        logger.Warning(new IOException("disk gone"), "pod {Pod} not programmed", "mesh/a");

        var line = Assert.Single(logs.Last(1));
        Assert.Equal("pod mesh/a not programmed (IOException: disk gone)", line.Message);
        Assert.Equal(LogEventLevel.Warning, line.Level);
    }

    [Fact]
    public void Before_anything_is_logged_there_is_nothing_to_show()
    {
        Assert.Empty(new RecentLogs(3).Last(3));
    }
}
