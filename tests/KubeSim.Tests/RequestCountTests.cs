using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace IstioPodNetwork.KubeSim.Tests;

/// <summary>KubeSim counts the API requests it serves, by verb and resource, in-process and on /kubesim/stats.</summary>
public sealed class RequestCountTests() : SimulatorTestBase(new KubeSimOptions())
{
    [Fact]
    public async Task A_list_a_watch_and_a_patch_each_count_once_under_their_verb_and_admin_requests_not_at_all()
    {
        using var http = new HttpClient { BaseAddress = Sim.Url, Timeout = Bound };
        var before = Sim.Requests;

        await Client.CoreV1.ListNamespacedPodAsync("default");
        Assert.Equal(new ApiRequestKind("list", "pods"), Assert.Single(Sim.Requests.Since(before).ByKind).Key);

        // The watch counts as soon as it is open, not when it ends.
        using var watch = await http.GetAsync(new Uri("/api/v1/namespaces?watch=true", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(1, Sim.Requests.Since(before).Count("watch", "namespaces"));

        await Client.CoreV1.PatchNamespaceAsync(
            new V1Patch("""{"metadata":{"labels":{"counted":"yes"}}}""", V1Patch.PatchType.MergePatch), "default");
        var stats = JsonNode.Parse(await http.GetStringAsync(new Uri("/kubesim/stats", UriKind.Relative)))!;
        await http.GetStringAsync(new Uri("/kubesim/nodes", UriKind.Relative));

        var counted = Sim.Requests.Since(before);
        Assert.Equal(3, counted.Total);
        Assert.Equal(new Dictionary<string, long> { ["list"] = 1, ["watch"] = 1, ["patch"] = 1 }, counted.ByVerb);
        Assert.Equal(1, counted.Count("patch", "namespaces"));
        Assert.Equal(before.Total + 3, stats["requests"]!["total"]!.GetValue<long>());
        Assert.Equal(1, stats["requests"]!["byVerb"]!["patch"]!.GetValue<long>());
        Assert.Contains(
            stats["requests"]!["byKind"]!.AsArray(),
            k => k!["verb"]!.GetValue<string>() == "watch" && k["resource"]!.GetValue<string>() == "namespaces" && k["count"]!.GetValue<long>() == 1);
        Assert.Equal(1, stats["openWatches"]!.GetValue<int>());
    }

    [Fact]
    public async Task Requests_answered_with_an_injected_failure_still_count_and_discovery_counts_without_a_resource()
    {
        using var http = new HttpClient { BaseAddress = Sim.Url, Timeout = Bound };
        var before = Sim.Requests;
        Sim.Faults.FailNextRequests(1, 503);

        await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => Client.CoreV1.ReadNamespaceAsync("default"));
        await http.GetStringAsync(new Uri("/api/v1", UriKind.Relative));

        var counted = Sim.Requests.Since(before);
        Assert.Equal(1, counted.Count("get", "namespaces"));
        Assert.Equal(1, counted.ByKind[new ApiRequestKind("get", null)]);
        Assert.Equal(2, counted.Total);
    }

    [Fact]
    public async Task Each_client_connection_counts_once_however_many_requests_it_carries()
    {
        var before = Sim.ConnectionsAccepted;
        using var first = new HttpClient { BaseAddress = Sim.Url, Timeout = Bound };
        using var second = new HttpClient { BaseAddress = Sim.Url, Timeout = Bound };

        // Sequential requests on one client reuse its kept-alive connection.
        for (var i = 0; i < 3; i++)
        {
            await first.GetStringAsync(new Uri("/api/v1/namespaces", UriKind.Relative));
        }

        var stats = JsonNode.Parse(await second.GetStringAsync(new Uri("/kubesim/stats", UriKind.Relative)))!;

        Assert.Equal(2, Sim.ConnectionsAccepted - before);
        Assert.Equal(before + 2, stats["connectionsAccepted"]!.GetValue<long>());
    }
}
