using Akka.Actor;
using IstioPodNetwork.Kube.Models;
using IstioPodNetwork.Kube.Watching;

namespace IstioPodNetwork.Actors.Watching;

/// <summary>A resource watch feeding an actor: each notification becomes a message to it; disposing stops the watch.</summary>
public sealed class WatchFeed : IDisposable
{
    private readonly CancellationTokenSource stopping = new();

    private WatchFeed()
    {
    }

    public static WatchFeed Start<T>(IResourceWatch<T> watch, IActorRef target)
        where T : IKubeObject
    {
        var feed = new WatchFeed();
        _ = watch.RunAsync(notification => target.Tell(notification), feed.stopping.Token);
        return feed;
    }

    public void Dispose()
    {
        stopping.Cancel();
        stopping.Dispose();
    }
}
