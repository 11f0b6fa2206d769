using System.Net;
using System.Threading.Channels;
using IstioPodNetwork.Kube.Models;
using IstioPodNetwork.Kube.Watching;
using IstioPodNetwork.KubeSim;
using IstioPodNetwork.Testing;
using k8s;
using k8s.Models;
using WatchEventType = IstioPodNetwork.Kube.Watching.WatchEventType;

namespace IstioPodNetwork.Kube.Tests;

/// <summary>The agent's API calls against KubeSim: what it reads, what it writes, and how errors reach the callers.</summary>
public sealed class KubeApiTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    private KubeSimServer sim = null!;
    private Kubernetes client = null!;
    private KubeApi api = null!;

    public async Task InitializeAsync()
    {
        sim = await KubeSimServer.StartAsync(new KubeSimOptions { Nodes = ["node-a", "node-b"], Tls = true });
        client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(sim.KubeconfigPath));
        api = KubeClients.Create(sim.KubeconfigPath);
    }

    public async Task DisposeAsync()
    {
        api.Dispose();
        client.Dispose();
        await sim.DisposeAsync();
    }

    [Fact]
    public async Task A_node_selection_lists_and_watches_that_nodes_pods_only()
    {
        await client.CoreV1.CreateNamespacedPodAsync(Pod("a1", "node-a"), "default");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("b1", "node-b"), "default");
        var source = WatchSources.PodsOnNode(api, "node-a");

        var list = await source.ListAsync(CancellationToken.None);
        Assert.Equal(["a1"], list.Items.Select(p => p.Metadata.Name));

        var seen = Channel.CreateUnbounded<(WatchEventType Type, IstioPodNetwork.Kube.Models.Pod Resource)>();
        using var stop = new CancellationTokenSource();
        var watching = Task.Run(async () =>
        {
            await foreach (var change in source.WatchAsync(list.ResourceVersion, TimeSpan.FromSeconds(60), _ => { }, stop.Token))
            {
                seen.Writer.TryWrite(change);
            }
        });
        await client.CoreV1.CreateNamespacedPodAsync(Pod("b2", "node-b"), "default");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("a2", "node-a"), "default");

        var first = await seen.Reader.ReadAsync().AsTask().WaitAsync(Bound);
        Assert.Equal((WatchEventType.Added, "a2", "node-a"), (first.Type, first.Resource.Metadata.Name, first.Resource.Spec?.NodeName));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watching.WaitAsync(Bound));
    }

    [Fact]
    public async Task An_expired_watch_reports_its_410_as_a_KubeApiException_and_ends()
    {
        var source = WatchSources.Namespaces(api);
        var list = await source.ListAsync(CancellationToken.None);
        var errors = new List<Exception>();
        var watching = Task.Run(async () =>
        {
            await foreach (var _ in source.WatchAsync(list.ResourceVersion, TimeSpan.FromSeconds(60), errors.Add, CancellationToken.None))
            {
            }
        });

        await Eventually.HoldsAsync(() => Task.FromResult(sim.Faults.ExpireWatches() > 0), Bound, "the watch open on KubeSim, and expired");
        await watching.WaitAsync(Bound);

        var expired = Assert.IsType<KubeApiException>(Assert.Single(errors));
        Assert.Equal(HttpStatusCode.Gone, expired.StatusCode);
        Assert.StartsWith("410 Expired: ", expired.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Patches_change_the_pod_and_Events_name_it()
    {
        await client.CoreV1.CreateNamespacedPodAsync(Pod("web", "node-a"), "default");
        var created = await client.CoreV1.ReadNamespacedPodAsync("web", "default");
        var writer = new PodStatusWriter(api, "node-a");

        var outcome = await writer.MarkInitializedAsync(new PodRef("default", "web", created.Metadata.Uid), "rules verified", CancellationToken.None);

        Assert.Equal(PodWriteOutcome.Written, outcome);
        var marked = await client.CoreV1.ReadNamespacedPodAsync("web", "default");
        Assert.Equal(PodMarkers.InitializedValue, marked.Metadata.Annotations[PodMarkers.StatusAnnotation]);
        var condition = Assert.Single(marked.Status.Conditions, c => c.Type == PodMarkers.InitializedCondition);
        Assert.Equal(("True", "Initialized", "rules verified"), (condition.Status, condition.Reason, condition.Message));
        var recorded = Assert.Single((await client.CoreV1.ListNamespacedEventAsync("default")).Items, e => e.Reason == "Initialized");
        Assert.Equal(("Pod", "web", created.Metadata.Uid), (recorded.InvolvedObject.Kind, recorded.InvolvedObject.Name, recorded.InvolvedObject.Uid));
    }

    [Fact]
    public async Task Marking_a_pod_that_is_gone_says_so_and_records_no_Event()
    {
        var writer = new PodStatusWriter(api, "node-a");

        var outcome = await writer.MarkInitializedAsync(new PodRef("default", "gone", "5f0c8a57-0000-4000-8000-000000000000"), "rules verified", CancellationToken.None);

        Assert.Equal(PodWriteOutcome.PodGone, outcome);
        Assert.Empty((await client.CoreV1.ListNamespacedEventAsync("default")).Items);
    }

    [Fact]
    public async Task Over_TLS_a_watch_and_concurrent_reads_and_writes_share_one_HTTP2_connection()
    {
        await client.CoreV1.CreateNamespacedPodAsync(Pod("web", "node-a"), "default");
        var before = sim.ConnectionsAccepted;
        var source = WatchSources.PodsOnNode(api, "node-a");
        var list = await source.ListAsync(CancellationToken.None);
        using var stop = new CancellationTokenSource();
        var watching = Task.Run(async () =>
        {
            await foreach (var _ in source.WatchAsync(list.ResourceVersion, TimeSpan.FromSeconds(60), _ => { }, stop.Token))
            {
            }
        });
        await Eventually.HoldsAsync(() => Task.FromResult(sim.OpenWatches == 1), Bound, "the watch open");

        // Over HTTP/1.1 each of these would need a connection of its own while the others are in flight.
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => i % 2 == 0
            ? source.ListAsync(CancellationToken.None)
            : api.WriteAsync(HttpMethod.Patch, "/api/v1/namespaces/default/pods/web", KubeApi.MergePatch, AnnotationsPatch.Of("touched", "yes"), KubeJson.Default.AnnotationsPatch, CancellationToken.None)));

        Assert.Equal(1, sim.ConnectionsAccepted - before);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watching.WaitAsync(Bound));
    }

    [Fact]
    public async Task An_error_status_reaches_the_caller_as_a_KubeApiException_with_its_code_and_the_servers_message()
    {
        var missing = await Assert.ThrowsAsync<KubeApiException>(() => api.GetAsync("/api/v1/namespaces/default/pods/ghost", KubeJson.Default.Pod, CancellationToken.None));
        sim.Faults.FailNextRequests(1, 503);
        var unavailable = await Assert.ThrowsAsync<KubeApiException>(
            () => api.WriteAsync(HttpMethod.Patch, "/api/v1/namespaces/default/pods/ghost", KubeApi.MergePatch, AnnotationsPatch.Of("touched", "yes"), KubeJson.Default.AnnotationsPatch, CancellationToken.None));

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("GET /api/v1/namespaces/default/pods/ghost: HTTP 404 Not Found: pods \"ghost\" not found", missing.Message);
        Assert.Contains("ghost", missing.Content, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
    }

    [Fact]
    public async Task The_kubeconfigs_token_goes_with_every_call_and_a_wrong_one_is_refused_with_401()
    {
        var wrongKubeconfig = Path.Combine(Path.GetDirectoryName(sim.KubeconfigPath)!, "wrong-token");
        await File.WriteAllTextAsync(wrongKubeconfig, (await File.ReadAllTextAsync(sim.KubeconfigPath)).Replace(sim.Token, "not-" + sim.Token, StringComparison.Ordinal));
        using var wrong = KubeClients.Create(wrongKubeconfig);

        var pods = await api.GetAsync("/api/v1/pods", KubeJson.Default.PodList, CancellationToken.None);
        var refused = await Assert.ThrowsAsync<KubeApiException>(() => wrong.GetAsync("/api/v1/pods", KubeJson.Default.PodList, CancellationToken.None));

        Assert.NotNull(pods.Items);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("GET /api/v1/pods: HTTP 401 Unauthorized", refused.Message);
    }

    private static V1Pod Pod(string name, string node) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec { NodeName = node, Containers = [new V1Container { Name = "app", Image = "nginx:1.27" }] },
    };
}
