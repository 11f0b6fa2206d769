using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json.Nodes;
using IstioPodNetwork.KubeSim.Store;
using Microsoft.AspNetCore.Http;

namespace IstioPodNetwork.KubeSim.Api;

/// <summary>
/// Serves one watch: chunked newline-delimited WatchEvents, flushed after every batch, bookmarks when
/// asked (every <see cref="WatchSettings.BookmarkInterval"/> and shortly before the deadline), a clean end
/// at timeoutSeconds, an ERROR line before ending an expired watch, and an abrupt cut when told to.
/// </summary>
internal static class WatchStream
{
    private static readonly byte[] AddedPrefix = Encoding.UTF8.GetBytes("{\"type\":\"ADDED\",\"object\":");
    private static readonly byte[] ModifiedPrefix = Encoding.UTF8.GetBytes("{\"type\":\"MODIFIED\",\"object\":");
    private static readonly byte[] DeletedPrefix = Encoding.UTF8.GetBytes("{\"type\":\"DELETED\",\"object\":");
    private static readonly byte[] Suffix = Encoding.UTF8.GetBytes("}\n");

    public static async Task ServeAsync(HttpContext context, ObjectStore store, Watcher watcher, WatchSettings settings, CancellationToken stopping)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        response.Headers.CacheControl = "no-cache, private";
        await response.StartAsync(context.RequestAborted);
        await response.Body.FlushAsync(context.RequestAborted);

        var now = DateTime.UtcNow;
        var deadline = now + settings.Timeout;
        var beforeDeadline = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(2).Ticks, settings.Timeout.Ticks / 2));
        DateTime? nextBookmark = settings.Bookmarks ? Min(now + settings.BookmarkInterval, deadline - beforeDeadline) : null;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        var writer = response.BodyWriter;
        var firstTable = true;
        // One timer per due time (deadline or bookmark), not one per wait: a busy watch waits thousands of times a second.
        CancellationTokenSource? wake = null;
        try
        {
            while (true)
            {
                if (wake is null)
                {
                    var due = Min(deadline, nextBookmark ?? deadline) - DateTime.UtcNow;
                    wake = CancellationTokenSource.CreateLinkedTokenSource(linked.Token);
                    wake.CancelAfter(due > TimeSpan.Zero ? due : TimeSpan.Zero);
                }

                try
                {
                    if (!await watcher.Items.WaitToReadAsync(wake.Token))
                    {
                        await WriteAvailableAsync();
                        if (watcher.End == WatchEnd.Cut)
                        {
                            context.Abort();
                        }

                        return;
                    }

                    await WriteAvailableAsync();
                    continue;
                }
                catch (OperationCanceledException) when (!linked.IsCancellationRequested)
                {
                    // The deadline or a bookmark is due.
                    wake.Dispose();
                    wake = null;
                }

                if (DateTime.UtcNow >= deadline)
                {
                    return;
                }

                if (nextBookmark is { } dueAt && DateTime.UtcNow >= dueAt)
                {
                    // Every change up to this version that matches the watch is already queued (commits and
                    // dispatch share the store's lock), so after draining the queue the bookmark is truthful.
                    var version = store.CurrentVersion;
                    await WriteAvailableAsync(flush: false);
                    WriteBookmark(writer, watcher.Type, version, initialEventsEnd: false);
                    await writer.FlushAsync(linked.Token);
                    var next = DateTime.UtcNow + settings.BookmarkInterval;
                    nextBookmark = dueAt < deadline - beforeDeadline ? Min(next, deadline - beforeDeadline) : null;
                }
            }
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            // The client went away or the server is stopping.
        }
        finally
        {
            wake?.Dispose();
            watcher.Dispose();
        }

        async Task WriteAvailableAsync(bool flush = true)
        {
            var wrote = false;
            while (watcher.Items.TryRead(out var item))
            {
                switch (item.Kind)
                {
                    case WatchItemKind.Event when settings.AsTable:
                        var table = Tables.Build(watcher.Type, [item.Object!], item.Object!.ResourceVersion, settings.IncludeObject, withColumns: firstTable);
                        firstTable = false;
                        WriteNode(writer, item.Type, table);
                        break;
                    case WatchItemKind.Event:
                        writer.Write(item.Type switch { "ADDED" => AddedPrefix, "MODIFIED" => ModifiedPrefix, _ => DeletedPrefix });
                        writer.Write(item.Object!.Json);
                        writer.Write(Suffix);
                        break;
                    case WatchItemKind.Bookmark:
                        WriteBookmark(writer, watcher.Type, item.Version, item.InitialEventsEnd);
                        break;
                    default:
                        WriteNode(writer, "ERROR", item.Error!.ToStatus());
                        break;
                }

                wrote = true;
            }

            if (wrote && flush)
            {
                await writer.FlushAsync(linked.Token);
            }
        }
    }

    private static void WriteBookmark(PipeWriter writer, ResourceType type, long version, bool initialEventsEnd)
    {
        var metadata = new JsonObject { ["resourceVersion"] = version.ToString(CultureInfo.InvariantCulture) };
        if (initialEventsEnd)
        {
            metadata["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
        }

        WriteNode(writer, "BOOKMARK", new JsonObject { ["kind"] = type.Kind, ["apiVersion"] = type.ApiVersion, ["metadata"] = metadata });
    }

    private static void WriteNode(PipeWriter writer, string type, JsonObject obj)
    {
        var line = new JsonObject { ["type"] = type, ["object"] = obj };
        writer.Write(line.Bytes());
        writer.Write("\n"u8);
    }

    private static DateTime Min(DateTime a, DateTime b) => a < b ? a : b;
}

/// <summary>The query of one watch request, parsed.</summary>
internal sealed record WatchSettings(TimeSpan Timeout, bool Bookmarks, TimeSpan BookmarkInterval, bool AsTable, string? IncludeObject);
