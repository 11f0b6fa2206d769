using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using IstioPodNetwork.Testing;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace IstioPodNetwork.KubeSim.Tests;

/// <summary>The C# KubernetesClient (what the agent uses) against KubeSim.</summary>
public sealed class ClientTests() : SimulatorTestBase(new KubeSimOptions { Nodes = ["node-a", "node-b"], WatchHistory = 16 })
{
    [Fact]
    public async Task A_list_and_watch_with_a_spec_nodeName_field_selector_sees_only_that_nodes_pods()
    {
        await Client.CoreV1.CreateNamespacedPodAsync(Clients.Pod("a1", "node-a"), "default");
        await Client.CoreV1.CreateNamespacedPodAsync(Clients.Pod("b1", "node-b"), "default");

        var list = await Client.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: "spec.nodeName=node-a");
        Assert.Equal(["a1"], list.Items.Select(p => p.Metadata.Name).ToArray());

        using var recorder = new WatchRecorder<V1Pod>((e, x, c) => Client.CoreV1.WatchListPodForAllNamespaces(fieldSelector: "spec.nodeName=node-a", resourceVersion: list.Metadata.ResourceVersion, onEvent: e, onError: x, onClosed: c));
        await Client.CoreV1.CreateNamespacedPodAsync(Clients.Pod("b2", "node-b"), "default");
        await Client.CoreV1.CreateNamespacedPodAsync(Clients.Pod("a2", "node-a"), "default");

        // a2 was created after b2, and a watch delivers in resourceVersion order: once a2's events are in, b2's would be too.
        await Eventually.HoldsAsync(() => recorder.Events.Any(e => e.Object.Metadata.Name == "a2" && e.Object.Status?.Phase == "Running"), Bound, "a2 Running seen by the watch");
        Assert.All(recorder.Events, e => Assert.StartsWith("a", e.Object.Metadata.Name, StringComparison.Ordinal));
        Assert.Equal(WatchEventType.Added, recorder.Events.First(e => e.Object.Metadata.Name == "a2").Type);
    }

    [Fact]
    public async Task A_watch_from_a_resourceVersion_older_than_the_history_receives_the_410_ERROR_event()
    {
        for (var i = 0; i < 20; i++)
        {
            await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = $"c{i}" } }, "default");
        }

        using var recorder = new WatchRecorder<V1Pod>((e, x, c) => Client.CoreV1.WatchListNamespacedPod("default", resourceVersion: "1", onEvent: e, onError: x, onClosed: c));

        var error = await Eventually.ReturnsAsync(() => Task.FromResult(recorder.Errors.FirstOrDefault()), Bound, "the watch error");
        var status = Assert.IsType<KubernetesException>(error).Status;
        Assert.Equal(410, status.Code);
        Assert.Equal("Expired", status.Reason);
        Assert.StartsWith("too old resource version: 1 (", status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Merge_patching_a_pod_annotation_is_seen_by_a_concurrent_watcher_as_MODIFIED()
    {
        var created = await Client.CoreV1.CreateNamespacedPodAsync(Clients.Pod("web", "node-z"), "default");
        using var recorder = new WatchRecorder<V1Pod>((e, x, c) => Client.CoreV1.WatchListNamespacedPod("default", resourceVersion: created.Metadata.ResourceVersion, onEvent: e, onError: x, onClosed: c));

        var patch = new V1Patch("""{"metadata":{"annotations":{"pod-network-controller.istio.io/status":"initialized"}}}""", V1Patch.PatchType.MergePatch);
        var patched = await Client.CoreV1.PatchNamespacedPodAsync(patch, "web", "default");

        var seen = await Eventually.ReturnsAsync(() => Task.FromResult(recorder.Events.Where(e => e.Type == WatchEventType.Modified).Select(e => new { e.Object }).FirstOrDefault()), Bound, "the MODIFIED event");
        Assert.Equal("initialized", seen.Object.Metadata.Annotations["pod-network-controller.istio.io/status"]);
        Assert.Equal(patched.Metadata.ResourceVersion, seen.Object.Metadata.ResourceVersion);
        Assert.NotEqual(created.Metadata.ResourceVersion, patched.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task An_update_with_a_stale_resourceVersion_is_rejected_with_409_Conflict()
    {
        var stale = await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "settings" } }, "default");
        var fresh = await Client.CoreV1.ReadNamespacedConfigMapAsync("settings", "default");
        fresh.Data = new Dictionary<string, string> { ["a"] = "1" };
        await Client.CoreV1.ReplaceNamespacedConfigMapAsync(fresh, "settings", "default");

        stale.Data = new Dictionary<string, string> { ["a"] = "2" };
        var error = await Assert.ThrowsAsync<HttpOperationException>(() => Client.CoreV1.ReplaceNamespacedConfigMapAsync(stale, "settings", "default"));

        Assert.Equal(HttpStatusCode.Conflict, error.Response.StatusCode);
        var status = JsonNode.Parse(error.Response.Content)!;
        Assert.Equal("Conflict", status.Str("reason"));
        Assert.Equal("Operation cannot be fulfilled on configmaps \"settings\": the object has been modified; please apply your changes to the latest version and try again", status.Str("message"));
    }

    [Fact]
    public async Task A_write_that_changes_nothing_keeps_the_resourceVersion_and_sends_no_event()
    {
        var created = await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "same", Annotations = new Dictionary<string, string> { ["a"] = "1" } } }, "default");
        using var recorder = new WatchRecorder<V1ConfigMap>((e, x, c) => Client.CoreV1.WatchListNamespacedConfigMap("default", resourceVersion: created.Metadata.ResourceVersion, onEvent: e, onError: x, onClosed: c));

        var patched = await Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"annotations":{"a":"1"}}}""", V1Patch.PatchType.MergePatch), "same", "default");
        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "fence" } }, "default");

        Assert.Equal(created.Metadata.ResourceVersion, patched.Metadata.ResourceVersion);
        await Eventually.HoldsAsync(() => recorder.Events.Any(e => e.Object.Metadata.Name == "fence"), Bound, "the fence event");
        Assert.Equal([(WatchEventType.Added, "fence")], recorder.Events.Select(e => (e.Type, e.Object.Metadata.Name)).ToArray());
    }

    [Fact]
    public async Task A_label_change_moving_a_pod_into_and_out_of_a_selector_is_delivered_as_ADDED_then_DELETED()
    {
        var created = await Client.CoreV1.CreateNamespacedPodAsync(Clients.Pod("mover", "node-z"), "default");
        using var recorder = new WatchRecorder<V1Pod>((e, x, c) => Client.CoreV1.WatchListNamespacedPod("default", labelSelector: "mesh in (on)", resourceVersion: created.Metadata.ResourceVersion, onEvent: e, onError: x, onClosed: c));

        await Client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"mesh":"on"}}}""", V1Patch.PatchType.MergePatch), "mover", "default");
        await Client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"mesh":"off"}}}""", V1Patch.PatchType.MergePatch), "mover", "default");

        await Eventually.HoldsAsync(() => recorder.Events.Count == 2, Bound, "two events");
        Assert.Equal([WatchEventType.Added, WatchEventType.Deleted], recorder.Events.Select(e => e.Type).ToArray());
    }

    [Fact]
    public async Task A_quiet_watch_with_bookmarks_gets_a_bookmark_before_its_timeout_and_ends_cleanly()
    {
        var list = await Client.CoreV1.ListNamespacedPodAsync("default");
        using var recorder = new WatchRecorder<V1Pod>((e, x, c) => Client.CoreV1.WatchListNamespacedPod("default", allowWatchBookmarks: true, resourceVersion: list.Metadata.ResourceVersion, timeoutSeconds: 2, onEvent: e, onError: x, onClosed: c));

        await Eventually.HoldsAsync(() => recorder.Closed, Bound, "the watch closing at its timeout");
        var bookmark = Assert.Single(recorder.Events);
        Assert.Equal(WatchEventType.Bookmark, bookmark.Type);
        Assert.Equal(list.Metadata.ResourceVersion, bookmark.Object.Metadata.ResourceVersion);
        Assert.Empty(recorder.Errors);
    }

    [Fact]
    public async Task An_Event_about_a_pod_must_live_in_the_pods_namespace()
    {
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "team-a" } });
        Corev1Event About(string ns) => new()
        {
            Metadata = new V1ObjectMeta { GenerateName = "web." },
            InvolvedObject = new V1ObjectReference { Kind = "Pod", Name = "web", NamespaceProperty = ns },
            Reason = "Initialized",
            Message = "rules in place",
            Type = "Normal",
        };

        var good = await Client.CoreV1.CreateNamespacedEventAsync(About("team-a"), "team-a");
        var error = await Assert.ThrowsAsync<HttpOperationException>(() => Client.CoreV1.CreateNamespacedEventAsync(About("team-a"), "default"));

        Assert.StartsWith("web.", good.Metadata.Name, StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode)422, error.Response.StatusCode);
        var status = JsonNode.Parse(error.Response.Content)!;
        Assert.Equal("Invalid", status.Str("reason"));
        Assert.Equal("involvedObject.namespace", status.At("details", "causes")!.AsArray().Single().Str("field"));
    }

    [Fact]
    public async Task Errors_are_Status_objects_shaped_as_the_real_servers()
    {
        using var http = new HttpClient { BaseAddress = Sim.Url };

        var notFound = await http.GetStringOrErrorAsync("/api/v1/namespaces/default/pods/nope");
        var badSelector = await http.GetStringOrErrorAsync("/api/v1/pods?fieldSelector=spec.color%3Dblue");
        var unknownPath = await http.GetStringOrErrorAsync("/apis/metrics.k8s.io/v1beta1");
        using var badPatch = new StringContent("{}", Encoding.UTF8);
        badPatch.Headers.ContentType = new MediaTypeHeaderValue("application/x-yaml");
        var unsupported = await (await http.PatchAsync(new Uri("/api/v1/namespaces/default", UriKind.Relative), badPatch)).Content.ReadAsStringAsync();

        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \u0022nope\u0022 not found","reason":"NotFound","details":{"name":"nope","kind":"pods"},"code":404}""", notFound);
        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"field label not supported: spec.color","reason":"BadRequest","code":400}""", badSelector);
        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}""", unknownPath);
        Assert.Equal(415, JsonNode.Parse(unsupported).Long("code"));
    }

    [Fact]
    public async Task The_status_subresource_and_the_main_resource_each_ignore_the_others_part()
    {
        var pod = await Client.CoreV1.CreateNamespacedPodAsync(Clients.Pod("web", "node-z"), "default");
        Assert.Equal("Pending", pod.Status.Phase);

        pod.Status.Phase = "Failed";
        pod.Metadata.Labels = new Dictionary<string, string> { ["tier"] = "front" };
        var main = await Client.CoreV1.ReplaceNamespacedPodAsync(pod, "web", "default");
        Assert.Equal("Pending", main.Status.Phase);
        Assert.Equal("front", main.Metadata.Labels["tier"]);
        main.Status.Phase = "Succeeded";
        main.Metadata.Labels["tier"] = "back";
        var status = await Client.CoreV1.ReplaceNamespacedPodStatusAsync(main, "web", "default");

        Assert.Equal("Succeeded", status.Status.Phase);
        Assert.Equal("front", status.Metadata.Labels["tier"]);
    }

    [Fact]
    public async Task Creates_fill_generateName_and_reject_invalid_names_and_missing_namespaces_as_the_real_server()
    {
        var generated = await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { GenerateName = "cfg-" } }, "default");
        var invalid = await Assert.ThrowsAsync<HttpOperationException>(() => Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "Bad_Name" } }, "default"));
        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "x" } }, "nowhere"));

        Assert.Matches("^cfg-[a-z0-9]{5}$", generated.Metadata.Name);
        Assert.NotNull(generated.Metadata.Uid);
        Assert.Equal((HttpStatusCode)422, invalid.Response.StatusCode);
        Assert.StartsWith("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain", JsonNode.Parse(invalid.Response.Content).Str("message"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);
        Assert.Equal("namespaces \"nowhere\" not found", JsonNode.Parse(missing.Response.Content).Str("message"));
    }

    [Fact]
    public async Task A_watch_asking_for_initial_events_gets_them_then_a_bookmark_marking_their_end()
    {
        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "one" } }, "default");
        using var http = new HttpClient { BaseAddress = Sim.Url };
        using var response = await http.GetAsync(new Uri("/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        var first = JsonNode.Parse((await reader.ReadLineAsync())!);
        var second = JsonNode.Parse((await reader.ReadLineAsync())!);

        Assert.Equal("ADDED", first.Str("type"));
        Assert.Equal("one", first.Str("object", "metadata", "name"));
        Assert.Equal("BOOKMARK", second.Str("type"));
        Assert.Equal("true", second.Str("object", "metadata", "annotations", "k8s.io/initial-events-end"));
    }

    [Fact]
    public async Task A_deployment_yields_a_replicaset_and_running_pods_owned_through_ownerReferences()
    {
        var deployment = new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = "web" },
            Spec = new V1DeploymentSpec
            {
                Replicas = 3,
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "web" } },
                    Spec = new V1PodSpec { Containers = [new V1Container { Name = "web", Image = "nginx:1.27" }] },
                },
            },
        };
        var created = await Client.AppsV1.CreateNamespacedDeploymentAsync(deployment, "default");

        var ready = await Eventually.ReturnsAsync(
            async () => await Client.AppsV1.ReadNamespacedDeploymentAsync("web", "default") is { Status.ReadyReplicas: 3 } d ? d : null,
            Bound,
            "3 ready replicas");
        var replicaSet = Assert.Single((await Client.AppsV1.ListNamespacedReplicaSetAsync("default")).Items);
        var pods = (await Client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "app=web")).Items;

        Assert.Equal(created.Metadata.Uid, Assert.Single(replicaSet.Metadata.OwnerReferences).Uid);
        Assert.Equal(3, pods.Count);
        Assert.All(pods, p => Assert.Equal(replicaSet.Metadata.Uid, Assert.Single(p.Metadata.OwnerReferences).Uid));
        Assert.All(pods, p => Assert.Equal("Running", p.Status.Phase));
        Assert.Equal(3, pods.Select(p => p.Status.PodIP).Distinct().Count());
        Assert.Equal(2, pods.Select(p => p.Spec.NodeName).Distinct().Count());
        Assert.Equal("True", ready.Status.Conditions.Single(c => c.Type == "Available").Status);

        await Client.AppsV1.DeleteNamespacedDeploymentAsync("web", "default", propagationPolicy: "Background");
        await Eventually.HoldsAsync(async () => (await Client.CoreV1.ListNamespacedPodAsync("default")).Items.Count == 0, Bound, "the pods garbage-collected");
    }

    [Fact]
    public async Task A_daemonset_runs_one_pod_on_every_node_and_a_hostNetwork_pod_gets_its_nodes_IP()
    {
        var ds = new V1DaemonSet
        {
            Metadata = new V1ObjectMeta { Name = "agent", NamespaceProperty = "kube-system" },
            Spec = new V1DaemonSetSpec
            {
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "agent" } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "agent" } },
                    Spec = new V1PodSpec { HostNetwork = true, Containers = [new V1Container { Name = "agent", Image = "ipnc:dev" }] },
                },
            },
        };
        await Client.AppsV1.CreateNamespacedDaemonSetAsync(ds, "kube-system");

        var pods = await Eventually.ReturnsAsync(
            async () => (await Client.CoreV1.ListNamespacedPodAsync("kube-system", labelSelector: "app=agent", fieldSelector: "status.phase=Running")).Items is { Count: 2 } items ? items : null,
            Bound,
            "one Running agent pod per node");

        var nodes = await Client.CoreV1.ListNodeAsync();
        foreach (var pod in pods)
        {
            var node = nodes.Items.Single(n => n.Metadata.Name == pod.Spec.NodeName);
            Assert.Equal(node.Status.Addresses.Single(a => a.Type == "InternalIP").Address, pod.Status.PodIP);
            Assert.Null(Sim.FindSandbox("kube-system", pod.Metadata.Name)!.NetnsName);
        }

        Assert.Equal(["node-a", "node-b"], pods.Select(p => p.Spec.NodeName).Order().ToArray());
    }
}

internal static class Clients
{
    public static Kubernetes For(KubeSimServer sim) =>
        new(KubernetesClientConfiguration.BuildConfigFromConfigFile(sim.KubeconfigPath));

    public static V1Pod Pod(string name, string? node = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec { NodeName = node, Containers = [new V1Container { Name = "app", Image = "nginx:1.27" }] },
    };

    public static async Task<string> GetStringOrErrorAsync(this HttpClient http, string path) =>
        await (await http.GetAsync(new Uri(path, UriKind.Relative))).Content.ReadAsStringAsync();
}

/// <summary>Records a KubernetesClient watch: its events, its errors, whether it closed.</summary>
internal sealed class WatchRecorder<T> : IDisposable
{
    private readonly ConcurrentQueue<(WatchEventType Type, T Object)> events = new();
    private readonly ConcurrentQueue<Exception> errors = new();
    private readonly Watcher<T> watcher;
    private volatile bool closed;

    public WatchRecorder(Func<Action<WatchEventType, T>, Action<Exception>, Action, Watcher<T>> start) =>
        watcher = start((type, obj) => events.Enqueue((type, obj)), errors.Enqueue, () => closed = true);

    public List<(WatchEventType Type, T Object)> Events => [.. events];

    public List<Exception> Errors => [.. errors];

    public bool Closed => closed;

    public void Dispose() => watcher.Dispose();
}
