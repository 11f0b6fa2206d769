using System.Diagnostics;
using System.Globalization;

namespace IstioPodNetwork.Cluster.Bench;

/// <summary>
/// Waits until the machine's cores are idle before a formation starts: N agents starting on 2 cores are bound by
/// CPU, and work left by what ran before (the kernel still tearing down the previous benchmark's hundreds of network
/// namespaces, processes still exiting) would be counted as formation time.
/// </summary>
internal static class MachineQuiet
{
    private const double IdleShare = 0.9;
    private static readonly TimeSpan Sample = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Returns how long the cores were busy before one <see cref="Sample"/> found them at least 90 % idle (zero when
    /// the first did); after <see cref="Bound"/> it goes on regardless.
    /// </summary>
    public static async Task<TimeSpan> WaitAsync(CancellationToken cancellation)
    {
        var waiting = Stopwatch.StartNew();
        while (waiting.Elapsed < Bound)
        {
            var sampleStarted = waiting.Elapsed;
            var before = CpuTicks();
            await Task.Delay(Sample, cancellation);
            var after = CpuTicks();
            var total = after.Total - before.Total;
            if (total > 0 && (double)(after.Idle - before.Idle) / total >= IdleShare)
            {
                return sampleStarted;
            }
        }

        return waiting.Elapsed;
    }

    /// <summary>/proc/stat's first line: all cores' time in ticks, and the idle and iowait part of it.</summary>
    private static (long Total, long Idle) CpuTicks()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        return (fields.Sum(), fields[3] + fields[4]);
    }
}
