using IstioPodNetwork.Kube.Models;

namespace IstioPodNetwork.Kube.Watching;

/// <summary>What a <see cref="ResilientWatch{T}"/> tells its consumer. Each object version is told once.</summary>
public abstract record WatchNotification<T>
    where T : IKubeObject;

/// <summary>The object is new, or changed since it was last told.</summary>
public sealed record ObjectUpserted<T>(T Resource) : WatchNotification<T>
    where T : IKubeObject;

/// <summary>The object is gone (deleted, or no longer matched by the watch's selector).</summary>
public sealed record ObjectRemoved<T>(T Resource) : WatchNotification<T>
    where T : IKubeObject;

/// <summary>A complete list has been reconciled: everything the consumer was told now matches the API.</summary>
public sealed record WatchSynced<T>(int ObjectCount, string ResourceVersion) : WatchNotification<T>
    where T : IKubeObject;

/// <summary>The watch broke and will resume after <paramref name="RetryIn"/>; nothing is lost.</summary>
public sealed record WatchInterrupted<T>(string Reason, TimeSpan RetryIn, bool Relisting) : WatchNotification<T>
    where T : IKubeObject;
