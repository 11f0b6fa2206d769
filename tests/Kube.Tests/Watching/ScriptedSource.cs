using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using IstioPodNetwork.Kube.Models;
using IstioPodNetwork.Kube.Watching;

namespace IstioPodNetwork.Kube.Tests.Watching;

/// <summary>
/// An API the spec scripts call by call: each list answers the next queued list (or
/// throws), each watch streams what the spec writes to it until the spec ends it.
/// </summary>
public sealed class ScriptedSource : IWatchSource<Pod>
{
    private readonly ConcurrentQueue<Func<ObjectList<Pod>>> lists = new();
    private readonly Channel<ScriptedWatch> watches = Channel.CreateUnbounded<ScriptedWatch>();

    public string Description => "scripted pods";

    public int ListCalls { get; private set; }

    public ConcurrentQueue<string> WatchedFrom { get; } = new();

    public void NextList(params Pod[] pods) => lists.Enqueue(() => new ObjectList<Pod>(pods, Rv(pods)));

    public void NextListFails(Exception error) => lists.Enqueue(() => throw error);

    /// <summary>The next watch the consumer opens.</summary>
    public Task<ScriptedWatch> NextWatchAsync() => watches.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));

    public Task<ObjectList<Pod>> ListAsync(CancellationToken cancellation)
    {
        ListCalls++;
        return lists.TryDequeue(out var next)
            ? Task.FromResult(next())
            : throw new InvalidOperationException("the spec queued no list");
    }

    public async IAsyncEnumerable<(WatchEventType Type, Pod Resource)> WatchAsync(
        string resourceVersion, TimeSpan timeout, Action<Exception> onError, [EnumeratorCancellation] CancellationToken cancellation)
    {
        WatchedFrom.Enqueue(resourceVersion);
        var watch = new ScriptedWatch(onError);
        await watches.Writer.WriteAsync(watch, cancellation);
        await foreach (var item in watch.Events.Reader.ReadAllAsync(cancellation))
        {
            if (item.Throw is not null)
            {
                throw item.Throw;
            }

            yield return (item.Type, item.Pod!);
        }
    }

    public static Pod Pod(string name, int resourceVersion) => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = "apps", Uid = "uid-" + name, ResourceVersion = resourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) },
    };

    private static string Rv(Pod[] pods) => pods.Length == 0 ? "1" : pods.Max(p => int.Parse(p.Metadata.ResourceVersion!, System.Globalization.CultureInfo.InvariantCulture)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public sealed class ScriptedWatch(Action<Exception> onError)
    {
        internal Channel<(WatchEventType Type, Pod? Pod, Exception? Throw)> Events { get; } = Channel.CreateUnbounded<(WatchEventType, Pod?, Exception?)>();

        public void Send(WatchEventType type, Pod pod) => Events.Writer.TryWrite((type, pod, null));

        /// <summary>An in-stream ERROR event: the client reports it to onError, then the server closes the stream.</summary>
        public void SendError(Exception error)
        {
            onError(error);
            Events.Writer.TryComplete();
        }

        public void Break(Exception error) => Events.Writer.TryWrite((default, null, error));

        public void End() => Events.Writer.TryComplete();
    }
}
