using IstioPodNetwork.Kube.Models;

namespace IstioPodNetwork.Kube.Watching;

/// <summary>A never-ending, self-healing watch of one selection of objects.</summary>
public interface IResourceWatch<T>
    where T : IKubeObject
{
    /// <summary>Tells <paramref name="emit"/> every change until <paramref name="cancellation"/> fires; never throws otherwise.</summary>
    Task RunAsync(Action<WatchNotification<T>> emit, CancellationToken cancellation);
}
