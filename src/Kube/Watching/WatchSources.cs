using System.Text.Json.Serialization.Metadata;
using IstioPodNetwork.Kube.Models;

namespace IstioPodNetwork.Kube.Watching;

/// <summary>The selections the agent watches.</summary>
public static class WatchSources
{
    /// <summary>Pods bound to one node, selected by the server (never a cluster-wide pod watch).</summary>
    public static IWatchSource<Pod> PodsOnNode(KubeApi api, string nodeName) =>
        Pods(api, $"pods on node {nodeName}", "/api/v1/pods", "fieldSelector=" + Uri.EscapeDataString("spec.nodeName=" + nodeName));

    /// <summary>One pod, by name (what `ipnc wait` watches for its own pod).</summary>
    public static IWatchSource<Pod> Pod(KubeApi api, string namespaceName, string podName) =>
        Pods(api, $"pod {namespaceName}/{podName}", $"/api/v1/namespaces/{Uri.EscapeDataString(namespaceName)}/pods", "fieldSelector=" + Uri.EscapeDataString("metadata.name=" + podName));

    public static IWatchSource<KubeNamespace> Namespaces(KubeApi api) =>
        Selection(api, "namespaces", "/api/v1/namespaces", null, KubeJson.Default.NamespaceList, KubeJson.Default.KubeNamespace);

    private static Source<Pod> Pods(KubeApi api, string description, string path, string selector) =>
        Selection(api, description, path, selector, KubeJson.Default.PodList, KubeJson.Default.Pod);

    private static Source<T> Selection<T, TList>(
        KubeApi api, string description, string path, string? selector, JsonTypeInfo<TList> listType, JsonTypeInfo<T> type)
        where T : IKubeObject
        where TList : IKubeList<T> =>
        new(
            description,
            async ct =>
            {
                var list = await api.GetAsync(selector is null ? path : $"{path}?{selector}", listType, ct);
                return new ObjectList<T>(list.Items, list.Metadata.ResourceVersion ?? string.Empty);
            },
            (rv, timeout, onError, ct) => api.WatchAsync(
                $"{path}?{(selector is null ? string.Empty : selector + "&")}allowWatchBookmarks=true&resourceVersion={Uri.EscapeDataString(rv)}&timeoutSeconds={(int)timeout.TotalSeconds}",
                type,
                onError,
                ct));

    private sealed class Source<T>(
        string description,
        Func<CancellationToken, Task<ObjectList<T>>> list,
        Func<string, TimeSpan, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch) : IWatchSource<T>
        where T : IKubeObject
    {
        public string Description => description;

        public Task<ObjectList<T>> ListAsync(CancellationToken cancellation) => list(cancellation);

        public IAsyncEnumerable<(WatchEventType Type, T Resource)> WatchAsync(
            string resourceVersion, TimeSpan timeout, Action<Exception> onError, CancellationToken cancellation) =>
            watch(resourceVersion, timeout, onError, cancellation);
    }
}
