using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace IstioPodNetwork.KubeSim.Simulation;

/// <summary>
/// A controller's queue of keys, as client-go's workqueue: a key waits at most once, is never handled by
/// two workers at the same time, and one added while being handled is handled again afterwards.
/// A failed key is retried with backoff.
/// </summary>
internal sealed class WorkQueue
{
    private readonly Channel<string> ready = Channel.CreateUnbounded<string>();
    private readonly Lock gate = new();
    private readonly HashSet<string> queued = [];
    private readonly HashSet<string> processing = [];
    private readonly HashSet<string> dirty = [];
    private readonly Dictionary<string, int> failures = [];
    private readonly string name;
    private readonly Func<string, CancellationToken, Task> handle;
    private readonly ILogger logger;
    private readonly CancellationToken stopping;
    private readonly Task[] workers;

    public WorkQueue(string name, int workerCount, Func<string, CancellationToken, Task> handle, ILogger logger, CancellationToken stopping)
    {
        this.name = name;
        this.handle = handle;
        this.logger = logger;
        this.stopping = stopping;
        workers = [.. Enumerable.Range(0, workerCount).Select(_ => Task.Run(WorkAsync, CancellationToken.None))];
    }

    public void Add(string key)
    {
        lock (gate)
        {
            if (processing.Contains(key))
            {
                dirty.Add(key);
            }
            else if (queued.Add(key))
            {
                ready.Writer.TryWrite(key);
            }
        }
    }

    public void AddAfter(string key, TimeSpan delay) =>
        _ = Task.Delay(delay, stopping).ContinueWith(t => Add(key), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);

    public async Task StopAsync()
    {
        ready.Writer.TryComplete();
        await Task.WhenAll(workers);
    }

    private async Task WorkAsync()
    {
        while (await ready.Reader.WaitToReadAsync(CancellationToken.None))
        {
            if (!ready.Reader.TryRead(out var key))
            {
                continue;
            }

            if (stopping.IsCancellationRequested)
            {
                continue;
            }

            lock (gate)
            {
                queued.Remove(key);
                processing.Add(key);
            }

            var retryAfter = TimeSpan.Zero;
            try
            {
                await handle(key, stopping);
                lock (gate)
                {
                    failures.Remove(key);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                int count;
                lock (gate)
                {
                    count = failures[key] = failures.GetValueOrDefault(key) + 1;
                }

                retryAfter = TimeSpan.FromMilliseconds(Math.Min(5000, 50 * Math.Pow(2, Math.Min(count, 10))));
                logger.LogWarning("{Queue} {Key}: {Error} (retry {Count} in {Delay} ms)", name, key, e.Message, count, retryAfter.TotalMilliseconds);
            }
            finally
            {
                lock (gate)
                {
                    processing.Remove(key);
                    if (dirty.Remove(key) && queued.Add(key))
                    {
                        ready.Writer.TryWrite(key);
                    }
                }
            }

            if (retryAfter > TimeSpan.Zero)
            {
                AddAfter(key, retryAfter);
            }
        }
    }
}
