using System.Threading.Channels;

namespace IstioPodNetwork.KubeSim.Store;

internal enum EventType
{
    Added,
    Modified,
    Deleted,
}

/// <summary>A committed change: the new state (or, for DELETED, the last state at the delete's version) and the one before.</summary>
internal sealed class StoreEvent(EventType type, StoredObject obj, StoredObject? previous)
{
    private StoredObject? previousAtVersion;

    public EventType Type { get; } = type;

    public StoredObject Object { get; } = obj;

    public StoredObject? Previous { get; } = previous;

    public long ResourceVersion => Object.ResourceVersion;

    /// <summary>The previous state stamped with this event's version: what a watcher sees when the object leaves its selector.</summary>
    public StoredObject PreviousAtVersion =>
        previousAtVersion ??= (Previous ?? Object).AtVersion(ResourceVersion);
}

internal enum WatchItemKind
{
    Event,
    Bookmark,
    Error,
}

/// <summary>One line of a watch stream, before it is written.</summary>
internal readonly record struct WatchItem(WatchItemKind Kind, string Type, StoredObject? Object, ApiException? Error = null, bool InitialEventsEnd = false, long Version = 0)
{
    public static WatchItem Of(EventType type, StoredObject obj) => new(WatchItemKind.Event, TypeName(type), obj);

    public static string TypeName(EventType type) => type switch
    {
        EventType.Added => "ADDED",
        EventType.Modified => "MODIFIED",
        _ => "DELETED",
    };
}

/// <summary>Why a watch stream ended before its client hung up.</summary>
internal enum WatchEnd
{
    Open,
    Expired,
    Cut,
    TooSlow,
    ServerStopping,
}

/// <summary>
/// One open watch: its filter, and a queue the store fills (under its lock, so in resourceVersion order)
/// and the HTTP stream drains.
/// </summary>
internal sealed class Watcher : IDisposable
{
    private readonly Channel<WatchItem> channel = Channel.CreateUnbounded<WatchItem>(); // not SingleReader: that variant cannot count its backlog
    private readonly ObjectStore store;
    private readonly int maxBacklog;

    public Watcher(ObjectStore store, ResourceType type, string? ns, Selector selector, int maxBacklog)
    {
        this.store = store;
        this.maxBacklog = maxBacklog;
        Type = type;
        Namespace = ns;
        Selector = selector;
    }

    public ResourceType Type { get; }

    public string? Namespace { get; }

    public Selector Selector { get; }

    public ChannelReader<WatchItem> Items => channel.Reader;

    public WatchEnd End { get; private set; } = WatchEnd.Open;

    public void Dispose() => store.Unwatch(this);

    internal void Write(WatchItem item) => channel.Writer.TryWrite(item);

    /// <summary>Applies the real server's old/new rule: entering the selector is ADDED, leaving it DELETED.</summary>
    internal void Offer(StoreEvent change)
    {
        if (End != WatchEnd.Open || (Namespace is not null && change.Object.Namespace != Namespace))
        {
            return;
        }

        var matchesNow = change.Type != EventType.Deleted && Selector.Matches(change.Object);
        var matchedBefore = change.Type switch
        {
            EventType.Added => false,
            EventType.Deleted => Selector.Matches(change.Object),
            _ => change.Previous is not null && Selector.Matches(change.Previous),
        };
        WatchItem? item = (matchedBefore, matchesNow) switch
        {
            (false, true) => WatchItem.Of(EventType.Added, change.Object),
            (true, true) => WatchItem.Of(EventType.Modified, change.Object),
            (true, false) when change.Type == EventType.Deleted => WatchItem.Of(EventType.Deleted, change.Object),
            (true, false) => WatchItem.Of(EventType.Deleted, change.PreviousAtVersion),
            _ => null,
        };
        if (item is null)
        {
            return;
        }

        if (channel.Reader.Count >= maxBacklog)
        {
            // The real server drops a watcher that cannot keep up; its client re-watches.
            Terminate(WatchEnd.TooSlow);
            return;
        }

        channel.Writer.TryWrite(item.Value);
    }

    internal void Terminate(WatchEnd why, ApiException? error = null)
    {
        if (End != WatchEnd.Open)
        {
            return;
        }

        End = why;
        if (error is not null)
        {
            channel.Writer.TryWrite(new WatchItem(WatchItemKind.Error, "ERROR", null, error));
        }

        channel.Writer.TryComplete();
    }
}
