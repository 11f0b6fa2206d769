using System.Net;
using IstioPodNetwork.Kube.Models;

namespace IstioPodNetwork.Kube.Watching;

public sealed record ResilientWatchOptions
{
    /// <summary>Server-side timeout of one watch request; each request gets up to 25 % jitter so watchers do not re-connect in step.</summary>
    public TimeSpan WatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaximumBackoff { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// List, then watch from the list's resourceVersion, forever: bookmarks keep the
/// resourceVersion fresh; a 410 relists and reconciles against what was already
/// told; a stream that ends re-watches; errors back off with jitter. Every object
/// version reaches the consumer once, whatever happens to the connection.
/// </summary>
public sealed class ResilientWatch<T>(IWatchSource<T> source, ResilientWatchOptions? options = null) : IResourceWatch<T>
    where T : IKubeObject, new()
{
    private readonly ResilientWatchOptions options = options ?? new ResilientWatchOptions();

    /// <summary>
    /// The objects told, by uid, as their identity and version only: enough to skip a version already told and
    /// to tell a removal that a relist finds. Keeping whole objects here would keep every one alive for good.
    /// </summary>
    private readonly Dictionary<string, T> told = new(StringComparer.Ordinal);

    /// <summary>Runs until <paramref name="cancellation"/> fires; never throws otherwise.</summary>
    public async Task RunAsync(Action<WatchNotification<T>> emit, CancellationToken cancellation)
    {
        var backoff = new ExponentialBackoff(options.InitialBackoff, options.MaximumBackoff);
        string? resourceVersion = null;
        while (!cancellation.IsCancellationRequested)
        {
            Exception? inStreamError = null;
            try
            {
                if (resourceVersion is null)
                {
                    var list = await source.ListAsync(cancellation);
                    Reconcile(list.Items, emit);
                    resourceVersion = list.ResourceVersion;
                    emit(new WatchSynced<T>(told.Count, resourceVersion));
                }

                using var stream = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                var timeout = Jittered(options.WatchTimeout);
                stream.CancelAfter(timeout + TimeSpan.FromSeconds(30));
                await foreach (var (type, item) in source.WatchAsync(resourceVersion, timeout, e => { inStreamError = e; stream.Cancel(); }, stream.Token))
                {
                    resourceVersion = Apply(type, item, emit) ?? resourceVersion;
                    backoff.Reset();
                }

                if (inStreamError is null)
                {
                    // The server ended the watch (its timeout): carry on from where we are.
                    continue;
                }
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // An in-stream ERROR cancels the stream, so its cancellation is not the error to report.
                inStreamError ??= e;
            }

            if (IsExpired(inStreamError))
            {
                resourceVersion = null;
                emit(new WatchInterrupted<T>($"{source.Description}: resourceVersion expired (410), relisting", TimeSpan.Zero, Relisting: true));
                continue;
            }

            if (IsQuietEnd(inStreamError))
            {
                continue;
            }

            var delay = backoff.Next();
            emit(new WatchInterrupted<T>($"{source.Description}: {Describe(inStreamError)}", delay, Relisting: resourceVersion is null));
            try
            {
                await Task.Delay(delay, cancellation);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static bool IsExpired(Exception? error) => error is KubeApiException { StatusCode: HttpStatusCode.Gone };

    /// <summary>A watch that closes before its first line surfaces in the client as an end-of-stream error; it is a normal end.</summary>
    private static bool IsQuietEnd(Exception? error) =>
        error is HttpRequestException { InnerException: EndOfStreamException } or EndOfStreamException;

    private static string Describe(Exception? error) => error switch
    {
        KubeApiException refused => refused.Description,
        OperationCanceledException => "no answer within the watch timeout",
        null => "unknown error",
        _ => error.Message,
    };

    private static TimeSpan Jittered(TimeSpan timeout) =>
        TimeSpan.FromSeconds(Math.Max(1, timeout.TotalSeconds * (1 + Random.Shared.NextDouble() * 0.25)));

    private string? Apply(WatchEventType type, T item, Action<WatchNotification<T>> emit)
    {
        var uid = item.Metadata?.Uid;
        switch (type)
        {
            case WatchEventType.Added or WatchEventType.Modified when uid is not null:
                if (!told.TryGetValue(uid, out var previous) || previous.Metadata.ResourceVersion != item.Metadata!.ResourceVersion)
                {
                    told[uid] = Identity(item);
                    emit(new ObjectUpserted<T>(item));
                }

                break;
            case WatchEventType.Deleted when uid is not null:
                if (told.Remove(uid))
                {
                    emit(new ObjectRemoved<T>(item));
                }

                break;
        }

        return item.Metadata?.ResourceVersion;
    }

    private static T Identity(T item) => new()
    {
        Metadata = new ObjectMeta
        {
            Name = item.Metadata.Name,
            Namespace = item.Metadata.Namespace,
            Uid = item.Metadata.Uid,
            ResourceVersion = item.Metadata.ResourceVersion,
        },
    };

    private void Reconcile(IReadOnlyList<T> items, Action<WatchNotification<T>> emit)
    {
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            if (item.Metadata.Uid is { } uid)
            {
                present.Add(uid);
            }

            Apply(WatchEventType.Added, item, emit);
        }

        foreach (var (uid, gone) in told.Where(pair => !present.Contains(pair.Key)).ToList())
        {
            told.Remove(uid);
            emit(new ObjectRemoved<T>(gone));
        }
    }
}
