using System.Collections.Concurrent;
using System.Diagnostics;
using IstioPodNetwork.Kube;
using IstioPodNetwork.Kube.Models;
using IstioPodNetwork.Kube.Watching;

namespace IstioPodNetwork.Agent.Bench;

/// <summary>When each pod on the node was first seen Running with an IP and first seen initialized, by a watch of the node's pods (Stopwatch timestamps).</summary>
internal sealed class PodTracker : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Times> pods = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim changed = new(0);
    private readonly TaskCompletionSource synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource stop = new();
    private readonly Task watching;

    private PodTracker(KubeApi api, string node) =>
        watching = new ResilientWatch<Pod>(WatchSources.PodsOnNode(api, node)).RunAsync(Observe, stop.Token);

    public static async Task<PodTracker> StartAsync(KubeApi api, string node)
    {
        var tracker = new PodTracker(api, node);
        await tracker.synced.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return tracker;
    }

    public long? RunningAt(string ns, string name) => pods.TryGetValue(Key(ns, name), out var times) ? times.Running : null;

    public long? InitializedAt(string ns, string name) => pods.TryGetValue(Key(ns, name), out var times) ? times.Initialized : null;

    /// <summary>How many of the pods on the node, in <paramref name="ns"/>, exist (running or not).</summary>
    public int Present(string ns) => pods.Count(p => p.Key.StartsWith(ns + "/", StringComparison.Ordinal) && !p.Value.Removed);

    /// <summary>Waits until <paramref name="condition"/> holds, re-checking on every watch event, or fails after <paramref name="timeout"/>.</summary>
    public async Task WaitAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            var left = timeout - deadline.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"no {what} within {timeout.TotalSeconds:0} s");
            }

            await changed.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await watching;
        stop.Dispose();
        changed.Dispose();
    }

    private static string Key(string ns, string name) => ns + "/" + name;

    private void Observe(WatchNotification<Pod> notification)
    {
        var now = Stopwatch.GetTimestamp();
        switch (notification)
        {
            case WatchSynced<Pod>:
                synced.TrySetResult();
                break;
            case ObjectUpserted<Pod> { Resource: var pod }:
                var times = pods.GetOrAdd(Key(pod.Metadata.Namespace!, pod.Metadata.Name!), _ => new Times());
                if (pod.Status?.Phase == "Running" && !string.IsNullOrEmpty(pod.Status.PodIP))
                {
                    times.SeenRunning(now);
                }

                if (pod.Metadata.Annotations?.TryGetValue(PodMarkers.StatusAnnotation, out var status) == true && status == PodMarkers.InitializedValue)
                {
                    times.SeenInitialized(now);
                }

                break;
            case ObjectRemoved<Pod> { Resource: var gone }:
                if (pods.TryGetValue(Key(gone.Metadata.Namespace!, gone.Metadata.Name!), out var removed))
                {
                    removed.SeenRemoved();
                }

                break;
        }

        changed.Release();
    }

    /// <summary>First sightings, written by the watch and read by the benchmark: 0 until seen.</summary>
    private sealed class Times
    {
        private long running;
        private long initialized;
        private int removed;

        public long? Running => Volatile.Read(ref running) is var at and not 0 ? at : null;

        public long? Initialized => Volatile.Read(ref initialized) is var at and not 0 ? at : null;

        public bool Removed => Volatile.Read(ref removed) != 0;

        public void SeenRunning(long at) => Interlocked.CompareExchange(ref running, at, 0);

        public void SeenInitialized(long at) => Interlocked.CompareExchange(ref initialized, at, 0);

        public void SeenRemoved() => Volatile.Write(ref removed, 1);
    }
}
