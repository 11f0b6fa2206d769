using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace IstioPodNetwork.Testing;

public static class FreePort
{
    private const int Span = 10_000;

    /// <summary>
    /// Ports just below the kernel's ephemeral range (/proc/sys/net/ipv4/ip_local_port_range). A port the kernel
    /// picks for a listener on port 0 comes from that range, and once the listener closes, the kernel may give the
    /// same port to an outgoing connection (an agent's remoting or API connection) before the test's process binds
    /// it: "Address already in use". The kernel never assigns ports below the range.
    /// </summary>
    private static readonly (int First, int Count) Range = BelowEphemeralRange();

    /// <summary>Where this process starts looking; random, so test processes running side by side rarely look at the same ports.</summary>
    private static int cursor = Random.Shared.Next(Range.Count);

    /// <summary>A TCP port free a moment ago on every address, outside the range the kernel hands out by itself.</summary>
    public static int Next()
    {
        for (var attempt = 0; attempt < Range.Count; attempt++)
        {
            var port = Range.First + (int)((uint)Interlocked.Increment(ref cursor) % Range.Count);
            if (IsFree(port))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"no free TCP port in {Range.First}-{Range.First + Range.Count - 1}");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Any, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static (int First, int Count) BelowEphemeralRange()
    {
        var lowest = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);
        var first = Math.Max(1024, lowest - Span);
        return (first, lowest - first);
    }
}
