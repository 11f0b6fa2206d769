using IstioPodNetwork.Kube.Models;
using IstioPodNetwork.Kube.Watching;

namespace IstioPodNetwork.Actors.Tests.Fakes;

/// <summary>A watch a spec drives by hand: it tells whatever the spec emits, once the actor has started it.</summary>
public sealed class FakeWatch<T> : IResourceWatch<T>
    where T : IKubeObject
{
    private readonly TaskCompletionSource<Action<WatchNotification<T>>> started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Stopped => stopped.Task;

    public async Task RunAsync(Action<WatchNotification<T>> emit, CancellationToken cancellation)
    {
        started.TrySetResult(emit);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellation);
        }
        catch (OperationCanceledException)
        {
            stopped.TrySetResult();
        }
    }

    public async Task EmitAsync(params WatchNotification<T>[] notifications)
    {
        var emit = await started.Task.WaitAsync(TimeSpan.FromSeconds(5));
        foreach (var notification in notifications)
        {
            emit(notification);
        }
    }
}
