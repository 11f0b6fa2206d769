using k8s;
using k8s.Models;

namespace IstioPodNetwork.Kube.Watching;

/// <summary>The selections the agent watches.</summary>
public static class WatchSources
{
    /// <summary>Pods bound to one node, selected by the server (never a cluster-wide pod watch).</summary>
    public static IWatchSource<V1Pod> PodsOnNode(IKubernetes client, string nodeName)
    {
        var selector = "spec.nodeName=" + nodeName;
        return new Source<V1Pod>(
            $"pods on node {nodeName}",
            async ct =>
            {
                var list = await client.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: selector, cancellationToken: ct);
                return new ObjectList<V1Pod>(list.Items.ToList(), list.Metadata.ResourceVersion);
            },
            (rv, timeout, onError, ct) => client.CoreV1.WatchListPodForAllNamespacesAsync(
                allowWatchBookmarks: true, fieldSelector: selector, resourceVersion: rv,
                timeoutSeconds: (int)timeout.TotalSeconds, onError: onError, cancellationToken: ct));
    }

    /// <summary>One pod, by name (what `ipnc wait` watches for its own pod).</summary>
    public static IWatchSource<V1Pod> Pod(IKubernetes client, string namespaceName, string podName)
    {
        var selector = "metadata.name=" + podName;
        return new Source<V1Pod>(
            $"pod {namespaceName}/{podName}",
            async ct =>
            {
                var list = await client.CoreV1.ListNamespacedPodAsync(namespaceName, fieldSelector: selector, cancellationToken: ct);
                return new ObjectList<V1Pod>(list.Items.ToList(), list.Metadata.ResourceVersion);
            },
            (rv, timeout, onError, ct) => client.CoreV1.WatchListNamespacedPodAsync(
                namespaceName, allowWatchBookmarks: true, fieldSelector: selector, resourceVersion: rv,
                timeoutSeconds: (int)timeout.TotalSeconds, onError: onError, cancellationToken: ct));
    }

    public static IWatchSource<V1Namespace> Namespaces(IKubernetes client) =>
        new Source<V1Namespace>(
            "namespaces",
            async ct =>
            {
                var list = await client.CoreV1.ListNamespaceAsync(cancellationToken: ct);
                return new ObjectList<V1Namespace>(list.Items.ToList(), list.Metadata.ResourceVersion);
            },
            (rv, timeout, onError, ct) => client.CoreV1.WatchListNamespaceAsync(
                allowWatchBookmarks: true, resourceVersion: rv,
                timeoutSeconds: (int)timeout.TotalSeconds, onError: onError, cancellationToken: ct));

    private sealed class Source<T>(
        string description,
        Func<CancellationToken, Task<ObjectList<T>>> list,
        Func<string, TimeSpan, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch) : IWatchSource<T>
        where T : IKubernetesObject<V1ObjectMeta>
    {
        public string Description => description;

        public Task<ObjectList<T>> ListAsync(CancellationToken cancellation) => list(cancellation);

        public IAsyncEnumerable<(WatchEventType Type, T Resource)> WatchAsync(
            string resourceVersion, TimeSpan timeout, Action<Exception> onError, CancellationToken cancellation) =>
            watch(resourceVersion, timeout, onError, cancellation);
    }
}
