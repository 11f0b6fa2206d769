using System.Collections.Concurrent;
using IstioPodNetwork.KubeSim.Store;

namespace IstioPodNetwork.KubeSim;

/// <summary>
/// Chaos for tests: what a real API server does to its clients under stress. Every fault acts on the
/// HTTP API only; KubeSim's own simulated controllers and kubelets are never affected.
/// </summary>
public sealed class KubeSimFaults
{
    private readonly ObjectStore store;
    private readonly Lock gate = new();
    private int failuresLeft;
    private int failureStatus;
    private long latencyTicks;
    private readonly ConcurrentDictionary<string, bool> forbidden = new(StringComparer.Ordinal);

    internal KubeSimFaults(ObjectStore store) => this.store = store;

    /// <summary>Delay added before every API request is served.</summary>
    public TimeSpan Latency
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref latencyTicks));
        set => Interlocked.Exchange(ref latencyTicks, value < TimeSpan.Zero ? throw new ArgumentOutOfRangeException(nameof(value), value, "latency cannot be negative") : value.Ticks);
    }

    /// <summary>
    /// Compacts the watch history and ends every open watch with an in-stream ERROR event carrying a 410
    /// Expired Status, as the real server does when a watcher's resourceVersion falls out of its window.
    /// Re-watching from any earlier resourceVersion gets 410 too, so clients must list again.
    /// </summary>
    /// <returns>How many watches were ended.</returns>
    public int ExpireWatches() => store.ExpireWatches();

    /// <summary>Drops every open watch connection without a final chunk (the client sees the stream break).</summary>
    /// <returns>How many watches were cut.</returns>
    public int CutWatchStreams() => store.EndWatches(WatchEnd.Cut);

    /// <summary>Answers the next <paramref name="count"/> API requests with <paramref name="status"/> (e.g. 429, 500, 503) and its real Status body.</summary>
    public void FailNextRequests(int count, int status)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (status is < 400 or > 599)
        {
            throw new ArgumentOutOfRangeException(nameof(status), status, "expected an HTTP error status from 400 to 599");
        }

        lock (gate)
        {
            failuresLeft = count;
            failureStatus = status;
        }
    }

    /// <summary>
    /// Refuses every request for <paramref name="resource"/>, named as RBAC names it ("daemonsets.apps"; "pods" for
    /// the core group), with 403 Forbidden and the message the API server's RBAC gives: as when the client's roles
    /// lack the rule.
    /// </summary>
    public void Forbid(string resource) => forbidden[resource] = true;

    /// <summary>Removes every pending failure, forbidden resource and the latency.</summary>
    public void Reset()
    {
        FailNextRequests(0, 500);
        forbidden.Clear();
        Latency = TimeSpan.Zero;
    }

    internal bool IsForbidden(ResourceType type) => forbidden.ContainsKey(type.GroupResource);

    internal bool TryTakeFailure(out int status)
    {
        lock (gate)
        {
            status = failureStatus;
            if (failuresLeft <= 0)
            {
                return false;
            }

            failuresLeft--;
            return true;
        }
    }
}
