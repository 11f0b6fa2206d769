using k8s;
using k8s.Models;

namespace IstioPodNetwork.Kube.Watching;

/// <summary>The selections the agent watches.</summary>
public static class WatchSources
{
    /// <summary>Pods bound to one node, selected by the server (never a cluster-wide pod watch).</summary>
    public static IWatchSource<V1Pod> PodsOnNode(KubeApi api, string nodeName) =>
        Selection<V1Pod, V1PodList>(api, $"pods on node {nodeName}", "/api/v1/pods", "fieldSelector=" + Uri.EscapeDataString("spec.nodeName=" + nodeName));

    /// <summary>One pod, by name (what `ipnc wait` watches for its own pod).</summary>
    public static IWatchSource<V1Pod> Pod(KubeApi api, string namespaceName, string podName) =>
        Selection<V1Pod, V1PodList>(
            api, $"pod {namespaceName}/{podName}", $"/api/v1/namespaces/{Uri.EscapeDataString(namespaceName)}/pods", "fieldSelector=" + Uri.EscapeDataString("metadata.name=" + podName));

    public static IWatchSource<V1Namespace> Namespaces(KubeApi api) =>
        Selection<V1Namespace, V1NamespaceList>(api, "namespaces", "/api/v1/namespaces", null);

    private static Source<T> Selection<T, TList>(KubeApi api, string description, string path, string? selector)
        where T : IKubernetesObject<V1ObjectMeta>
        where TList : IItems<T>, IMetadata<V1ListMeta> =>
        new(
            description,
            async ct =>
            {
                var list = await api.GetAsync<TList>(selector is null ? path : $"{path}?{selector}", ct);
                return new ObjectList<T>([.. list.Items], list.Metadata.ResourceVersion);
            },
            (rv, timeout, onError, ct) => api.WatchAsync<T>(
                $"{path}?{(selector is null ? string.Empty : selector + "&")}allowWatchBookmarks=true&resourceVersion={Uri.EscapeDataString(rv)}&timeoutSeconds={(int)timeout.TotalSeconds}",
                onError,
                ct));

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
