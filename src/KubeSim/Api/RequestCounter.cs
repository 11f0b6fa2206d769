using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace IstioPodNetwork.KubeSim.Api;

/// <summary>Counts API requests by kind, and the client connections they came over; safe for concurrent requests.</summary>
internal sealed class RequestCounter
{
    private readonly ConcurrentDictionary<ApiRequestKind, StrongBox<long>> counts = new();
    private long connections;

    public long Connections => Interlocked.Read(ref connections);

    public void CountConnection() => Interlocked.Increment(ref connections);

    public void Count(ApiRequestKind kind) => Interlocked.Increment(ref counts.GetOrAdd(kind, static _ => new StrongBox<long>()).Value);

    public KubeSimRequests Snapshot() => new(counts.ToDictionary(pair => pair.Key, pair => Interlocked.Read(ref pair.Value.Value)));
}
