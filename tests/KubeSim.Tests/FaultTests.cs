using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using IstioPodNetwork.Testing;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace IstioPodNetwork.KubeSim.Tests;

/// <summary>Each fault injection and what a client sees of it.</summary>
public sealed class FaultTests() : SimulatorTestBase(new KubeSimOptions())
{
    [Fact]
    public async Task Expiring_watches_ends_open_watches_with_a_410_and_refuses_to_resume_from_their_resourceVersion()
    {
        var list = await Client.CoreV1.ListNamespacedConfigMapAsync("default");
        using var before = new WatchRecorder<V1ConfigMap>((e, x, c) => Client.CoreV1.WatchListNamespacedConfigMap("default", resourceVersion: list.Metadata.ResourceVersion, onEvent: e, onError: x, onClosed: c));
        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "first" } }, "default");
        await Eventually.HoldsAsync(() => before.Events.Count == 1, Bound, "the watch running");

        Assert.Equal(1, Sim.Faults.ExpireWatches());

        var ended = await Eventually.ReturnsAsync(() => Task.FromResult(before.Errors.FirstOrDefault()), Bound, "the ERROR event");
        Assert.Equal(410, Assert.IsType<KubernetesException>(ended).Status.Code);
        await Eventually.HoldsAsync(() => before.Closed, Bound, "the watch closed");
        using var resumed = new WatchRecorder<V1ConfigMap>((e, x, c) => Client.CoreV1.WatchListNamespacedConfigMap("default", resourceVersion: list.Metadata.ResourceVersion, onEvent: e, onError: x, onClosed: c));
        var refused = await Eventually.ReturnsAsync(() => Task.FromResult(resumed.Errors.FirstOrDefault()), Bound, "the resumed watch's ERROR event");
        Assert.Equal("Expired", Assert.IsType<KubernetesException>(refused).Status.Reason);
        var relisted = await Client.CoreV1.ListNamespacedConfigMapAsync("default");
        Assert.Contains(relisted.Items, c => c.Metadata.Name == "first");
    }

    [Fact]
    public async Task Cutting_watch_streams_breaks_the_connection_without_a_clean_end()
    {
        using var http = new HttpClient { BaseAddress = Sim.Url, Timeout = Bound };
        using var response = await http.GetAsync(new Uri("/api/v1/namespaces?watch=true", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.StartsWith("{\"type\":\"ADDED\"", await reader.ReadLineAsync(), StringComparison.Ordinal);

        Assert.Equal(1, Sim.Faults.CutWatchStreams());

        // A clean end (the server closing the chunked body) would make ReadLineAsync return null instead.
        await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            while (await reader.ReadLineAsync() is not null)
            {
            }
        });
    }

    [Fact]
    public async Task A_forbidden_resource_is_refused_as_RBAC_refuses_it_and_other_resources_are_served()
    {
        await Client.AppsV1.CreateNamespacedDaemonSetAsync(
            new V1DaemonSet
            {
                Metadata = new V1ObjectMeta { Name = "agents" },
                Spec = new V1DaemonSetSpec
                {
                    Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "agent" } },
                    Template = new V1PodTemplateSpec
                    {
                        Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "agent" } },
                        Spec = new V1PodSpec { Containers = [new V1Container { Name = "agent", Image = "ipnc:1" }] },
                    },
                },
            },
            "default");

        Sim.Faults.Forbid("daemonsets.apps");

        var get = await Assert.ThrowsAsync<HttpOperationException>(() => Client.AppsV1.ReadNamespacedDaemonSetAsync("agents", "default"));
        var list = await Assert.ThrowsAsync<HttpOperationException>(() => Client.AppsV1.ListDaemonSetForAllNamespacesAsync());
        Assert.Equal(HttpStatusCode.Forbidden, get.Response.StatusCode);
        Assert.Equal(
            "daemonsets.apps \"agents\" is forbidden: User \"kubesim\" cannot get resource \"daemonsets\" in API group \"apps\" in the namespace \"default\"",
            JsonNode.Parse(get.Response.Content)!["message"]!.GetValue<string>());
        Assert.Equal(
            "daemonsets.apps is forbidden: User \"kubesim\" cannot list resource \"daemonsets\" in API group \"apps\" at the cluster scope",
            JsonNode.Parse(list.Response.Content)!["message"]!.GetValue<string>());
        Assert.NotNull(await Client.CoreV1.ReadNamespaceAsync("default"));

        Sim.Faults.Reset();
        Assert.Equal("agents", (await Client.AppsV1.ReadNamespacedDaemonSetAsync("agents", "default")).Metadata.Name);
    }

    [Fact]
    public async Task Failing_the_next_requests_answers_exactly_that_many_with_the_status_and_its_Status_body()
    {
        Sim.Faults.FailNextRequests(2, 503);

        var first = await Assert.ThrowsAsync<HttpOperationException>(() => Client.CoreV1.ListNamespaceAsync());
        var second = await Assert.ThrowsAsync<HttpOperationException>(() => Client.CoreV1.ReadNamespaceAsync("default"));
        var third = await Client.CoreV1.ReadNamespaceAsync("default");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.Response.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.Response.StatusCode);
        Assert.Equal("ServiceUnavailable", JsonNode.Parse(first.Response.Content).Str("reason"));
        Assert.Equal("default", third.Metadata.Name);
    }

    [Fact]
    public async Task Added_latency_delays_every_request_by_at_least_that_much()
    {
        Sim.Faults.Latency = TimeSpan.FromSeconds(1);

        var clock = Stopwatch.StartNew();
        await Client.CoreV1.ReadNamespaceAsync("default");
        var delayed = clock.Elapsed;
        Sim.Faults.Reset();
        clock.Restart();
        await Client.CoreV1.ReadNamespaceAsync("default");

        // Timers may fire a few milliseconds early; the margin keeps the check about the latency, not the timer.
        Assert.True(delayed >= TimeSpan.FromMilliseconds(950), $"the request took {delayed.TotalMilliseconds} ms");
        Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(950), $"after Reset a request still took {clock.Elapsed.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task The_admin_endpoint_injects_the_same_faults_over_HTTP()
    {
        using var http = new HttpClient { BaseAddress = Sim.Url };

        var armed = await http.PostAsync(new Uri("/kubesim/faults/fail?count=1&status=429", UriKind.Relative), null);
        var failed = await http.GetAsync(new Uri("/api/v1/namespaces", UriKind.Relative));
        var next = await http.GetAsync(new Uri("/api/v1/namespaces", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, armed.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, failed.StatusCode);
        Assert.Equal("1", failed.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        var bad = await http.PostAsync(new Uri("/kubesim/faults/fail?count=1&status=200", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }
}
