using System.Text.Json.Nodes;

namespace IstioPodNetwork.KubeSim.Store;

/// <summary>Where a watch starts (kubernetes.io api-concepts, "Semantics for watch").</summary>
internal readonly record struct WatchStart(long? ResourceVersion, bool SendInitialEvents)
{
    /// <summary>Unset or "0": synthetic ADDED events for the current state, then changes.</summary>
    public bool FromCurrentState => ResourceVersion is null or 0 || SendInitialEvents;
}

/// <summary>
/// The generic object store: every kind in one keyspace with one global resourceVersion, a bounded
/// history of changes for watches to resume from, and the open watchers. Commits and watcher dispatch
/// happen under one lock, so every watcher sees changes in resourceVersion order.
/// </summary>
internal sealed class ObjectStore
{
    private readonly Lock gate = new();
    private readonly Dictionary<ResourceType, SortedDictionary<string, StoredObject>> objects = [];
    private readonly Dictionary<ResourceType, List<Watcher>> watchers = [];
    private readonly List<Action<StoreEvent>> subscribers = [];
    private readonly StoreEvent?[] history;
    private readonly int maxBacklog;
    private int historyStart;
    private int historyCount;
    private long version;
    private long compactedThrough;

    public ObjectStore(int historyCapacity, int maxWatchBacklog)
    {
        history = new StoreEvent?[Math.Max(historyCapacity, 16)];
        maxBacklog = maxWatchBacklog;
        foreach (var type in ResourceCatalog.All)
        {
            objects[type] = new SortedDictionary<string, StoredObject>(StringComparer.Ordinal);
            watchers[type] = [];
        }
    }

    public long CurrentVersion
    {
        get
        {
            lock (gate)
            {
                return version;
            }
        }
    }

    public int OpenWatchCount
    {
        get
        {
            lock (gate)
            {
                return watchers.Values.Sum(w => w.Count);
            }
        }
    }

    /// <summary>Calls <paramref name="onChange"/> for every committed change, under the store's lock: it must only enqueue.</summary>
    public void Subscribe(Action<StoreEvent> onChange)
    {
        lock (gate)
        {
            subscribers.Add(onChange);
        }
    }

    public StoredObject? Get(ResourceType type, string? ns, string name)
    {
        lock (gate)
        {
            return objects[type].GetValueOrDefault(StoredObject.KeyOf(ns, name));
        }
    }

    public (List<StoredObject> Items, long Version) List(ResourceType type, string? ns, Selector selector)
    {
        lock (gate)
        {
            var items = new List<StoredObject>();
            foreach (var obj in objects[type].Values)
            {
                if ((ns is null || obj.Namespace == ns) && selector.Matches(obj))
                {
                    items.Add(obj);
                }
            }

            return (items, version);
        }
    }

    /// <summary>Stores a new object; 409 AlreadyExists when the name is taken.</summary>
    public StoredObject Insert(ResourceType type, JsonObject obj)
    {
        var ns = obj.Str("metadata", "namespace");
        var name = obj.Str("metadata", "name") ?? string.Empty;
        lock (gate)
        {
            var key = StoredObject.KeyOf(ns, name);
            if (objects[type].ContainsKey(key))
            {
                throw ApiException.AlreadyExists(type, name);
            }

            var stored = StoredObject.Create(type, obj, version + 1);
            version++;
            objects[type][key] = stored;
            Publish(new StoreEvent(EventType.Added, stored, null));
            return stored;
        }
    }

    /// <summary>
    /// Replaces the object if it is still at <paramref name="expectedVersion"/>; null when someone else
    /// wrote it first (the caller decides between retrying and 409). 404 when it is gone.
    /// </summary>
    public StoredObject? Replace(ResourceType type, JsonObject obj, long expectedVersion, string expectedUid)
    {
        var ns = obj.Str("metadata", "namespace");
        var name = obj.Str("metadata", "name") ?? string.Empty;
        lock (gate)
        {
            var key = StoredObject.KeyOf(ns, name);
            if (!objects[type].TryGetValue(key, out var current) || current.Uid != expectedUid)
            {
                throw ApiException.NotFound(type, name);
            }

            if (current.ResourceVersion != expectedVersion)
            {
                return null;
            }

            var stored = StoredObject.Create(type, obj, version + 1);
            version++;
            objects[type][key] = stored;
            Publish(new StoreEvent(EventType.Modified, stored, current));
            return stored;
        }
    }

    /// <summary>Removes the object if it is still at <paramref name="expectedVersion"/>; null when it changed meanwhile.</summary>
    public StoredObject? Remove(ResourceType type, string? ns, string name, long expectedVersion)
    {
        lock (gate)
        {
            var key = StoredObject.KeyOf(ns, name);
            if (!objects[type].TryGetValue(key, out var current))
            {
                throw ApiException.NotFound(type, name);
            }

            if (current.ResourceVersion != expectedVersion)
            {
                return null;
            }

            objects[type].Remove(key);
            var last = current.AtVersion(version + 1);
            version++;
            Publish(new StoreEvent(EventType.Deleted, last, current));
            return last;
        }
    }

    /// <summary>Opens a watch: replays what the start point asks for, then follows live changes.</summary>
    public Watcher Watch(ResourceType type, string? ns, Selector selector, WatchStart start)
    {
        lock (gate)
        {
            var watcher = new Watcher(this, type, ns, selector, maxBacklog);
            if (start.FromCurrentState)
            {
                foreach (var obj in objects[type].Values)
                {
                    if ((ns is null || obj.Namespace == ns) && selector.Matches(obj))
                    {
                        watcher.Write(WatchItem.Of(EventType.Added, obj));
                    }
                }

                if (start.SendInitialEvents)
                {
                    watcher.Write(new WatchItem(WatchItemKind.Bookmark, "BOOKMARK", null, InitialEventsEnd: true, Version: version));
                }
            }
            else
            {
                var from = start.ResourceVersion!.Value;
                if (from < compactedThrough)
                {
                    watcher.Terminate(WatchEnd.Expired, ApiException.Expired($"too old resource version: {from} ({compactedThrough + 1})"));
                    return watcher;
                }

                for (var i = 0; i < historyCount; i++)
                {
                    var change = history[(historyStart + i) % history.Length]!;
                    if (change.ResourceVersion > from && change.Object.Type == type)
                    {
                        watcher.Offer(change);
                    }
                }
            }

            watchers[type].Add(watcher);
            return watcher;
        }
    }

    internal void Unwatch(Watcher watcher)
    {
        lock (gate)
        {
            watchers[watcher.Type].Remove(watcher);
        }
    }

    /// <summary>
    /// Forgets the history (as an etcd compaction does) and ends every open watch with a 410 Expired ERROR
    /// event, so every client must list again.
    /// </summary>
    public int ExpireWatches()
    {
        lock (gate)
        {
            compactedThrough = version;
            historyCount = 0;
            return EndAll(WatchEnd.Expired, w => ApiException.Expired($"too old resource version: {version} ({version + 1})"));
        }
    }

    /// <summary>Ends every open watch; <paramref name="why"/> decides whether the stream closes cleanly or is cut.</summary>
    public int EndWatches(WatchEnd why)
    {
        lock (gate)
        {
            return EndAll(why, _ => null);
        }
    }

    private int EndAll(WatchEnd why, Func<Watcher, ApiException?> error)
    {
        var count = 0;
        foreach (var list in watchers.Values)
        {
            foreach (var watcher in list)
            {
                watcher.Terminate(why, error(watcher));
                count++;
            }

            list.Clear();
        }

        return count;
    }

    private void Publish(StoreEvent change)
    {
        if (historyCount == history.Length)
        {
            compactedThrough = history[historyStart]!.ResourceVersion;
            historyStart = (historyStart + 1) % history.Length;
            historyCount--;
        }

        history[(historyStart + historyCount) % history.Length] = change;
        historyCount++;

        var list = watchers[change.Object.Type];
        for (var i = list.Count - 1; i >= 0; i--)
        {
            list[i].Offer(change);
            if (list[i].End != WatchEnd.Open)
            {
                list.RemoveAt(i);
            }
        }

        foreach (var subscriber in subscribers)
        {
            subscriber(change);
        }
    }
}
