using Serilog.Core;
using Serilog.Events;

namespace IstioPodNetwork.Host.Logging;

/// <summary>
/// The agent's most recent log events, kept in memory for `ipnc log peek`: a
/// sink of the same logger the agent writes with, so it holds exactly what the
/// agent logged, oldest dropped first.
/// </summary>
public sealed class RecentLogs(int capacity) : ILogEventSink
{
    private readonly LogEvent?[] ring = new LogEvent?[capacity];
    private readonly Lock gate = new();
    private long written;

    /// <summary>The buffer the agent's logger feeds (see <see cref="LogSetup"/>).</summary>
    public static RecentLogs Agent { get; } = new(1000);

    public int Capacity => ring.Length;

    /// <summary>How many events were ever written, kept or not.</summary>
    public long Written
    {
        get
        {
            lock (gate)
            {
                return written;
            }
        }
    }

    public void Emit(LogEvent logEvent)
    {
        lock (gate)
        {
            ring[written % ring.Length] = logEvent;
            written++;
        }
    }

    /// <summary>The last <paramref name="count"/> events kept, oldest first.</summary>
    public IReadOnlyList<LogEvent> Last(int count)
    {
        lock (gate)
        {
            var take = (int)Math.Min(Math.Min(count, ring.Length), written);
            return [.. Enumerable.Range(0, take).Select(i => ring[(written - take + i) % ring.Length]!)];
        }
    }
}
