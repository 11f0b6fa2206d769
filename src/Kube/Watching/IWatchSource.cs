using IstioPodNetwork.Kube.Models;

namespace IstioPodNetwork.Kube.Watching;

/// <summary>A complete list of objects and the resourceVersion it was read at.</summary>
public sealed record ObjectList<T>(IReadOnlyList<T> Items, string ResourceVersion);

/// <summary>The two API calls a list+watch needs, for one kind and one selection.</summary>
public interface IWatchSource<T>
    where T : IKubeObject
{
    string Description { get; }

    Task<ObjectList<T>> ListAsync(CancellationToken cancellation);

    /// <summary>
    /// Watches from <paramref name="resourceVersion"/> with bookmarks; in-stream ERROR
    /// events (410 Expired among them) are passed to <paramref name="onError"/>.
    /// </summary>
    IAsyncEnumerable<(WatchEventType Type, T Resource)> WatchAsync(
        string resourceVersion, TimeSpan timeout, Action<Exception> onError, CancellationToken cancellation);
}
