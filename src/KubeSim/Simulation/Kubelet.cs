using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using IstioPodNetwork.KubeSim.Sandbox;
using IstioPodNetwork.KubeSim.Store;
using Microsoft.Extensions.Logging;

namespace IstioPodNetwork.KubeSim.Simulation;

/// <summary>The scheduler and the kubelets: bind unscheduled pods, run bound ones, finish graceful deletes.</summary>
internal sealed partial class ClusterSimulator
{
    private readonly ConcurrentDictionary<string, RunningPod> running = new(StringComparer.Ordinal);
    private readonly Lock scheduling = new();

    public PodSandbox? FindSandbox(string ns, string name) =>
        running.TryGetValue(StoredObject.KeyOf(ns, name), out var pod) ? pod.Sandbox : null;

    public IReadOnlyList<PodSandbox> Sandboxes => [.. running.Values.Select(r => r.Sandbox)];

    private async Task ReconcilePodAsync(string key, CancellationToken cancellationToken)
    {
        var (ns, name) = SplitKey(key);
        var pod = store.Get(ResourceCatalog.Pods, ns, name);
        running.TryGetValue(key, out var run);
        if (run is not null && (pod is null || pod.Uid != run.Uid))
        {
            await StopPodAsync(key, run);
            run = null;
        }

        if (pod is null)
        {
            return;
        }

        var nodeName = pod.Field("spec.nodeName") ?? string.Empty;
        if (nodeName.Length == 0)
        {
            if (!pod.Terminating)
            {
                Schedule(pod);
            }

            return;
        }

        if (!nodes.TryGetValue(nodeName, out var node))
        {
            return;
        }

        if (pod.Terminating)
        {
            if (run is not null)
            {
                await StopPodAsync(key, run);
            }

            if (options.PodTerminationDelay > TimeSpan.Zero)
            {
                await Task.Delay(options.PodTerminationDelay, cancellationToken);
            }

            // The kubelet's final word: delete with grace 0, only this incarnation of the pod.
            IgnoreGone(() => registry.Delete(ResourceCatalog.Pods, ns, name, new DeleteOptions(GracePeriodSeconds: 0, PreconditionUid: pod.Uid)));
            return;
        }

        if (run is not null && pod.Field("status.phase") == "Running" && pod.Field("status.podIP") == run.Sandbox.PodIps[0].ToString())
        {
            return;
        }

        run ??= await StartPodAsync(key, pod, node, cancellationToken);
        try
        {
            var sandbox = run.Sandbox;
            registry.GuaranteedUpdate(ResourceCatalog.Pods, ns, name, current =>
            {
                if (current.Uid != sandbox.Uid || current.Terminating)
                {
                    throw ApiException.NotFound(ResourceCatalog.Pods, name);
                }

                var obj = current.ToNode();
                obj["status"] = RunningStatus(obj, sandbox.PodIps[0], node.Node.InternalIp);
                return obj;
            }, statusOnly: true);
        }
        catch (ApiException e) when (e.Code == 404)
        {
            // Deleted or replaced while starting: the next pass stops what was started.
            pods.Add(key);
        }
    }

    private async Task<RunningPod> StartPodAsync(string key, StoredObject pod, NodeRuntime node, CancellationToken cancellationToken)
    {
        var obj = pod.ToNode();
        PodSandbox sandbox;
        if (obj.Bool("spec", "hostNetwork") == true)
        {
            // As a real kubelet: a host-network pod shares the node's network, so its IP is the node's and it gets no sandbox.
            sandbox = new PodSandbox(pod.Namespace, pod.Name, pod.Uid, node.Node.Name, [node.Node.InternalIp], null, null, null, null);
        }
        else
        {
            var ip = node.Pool.Allocate(pod.Uid);
            var qos = obj.Str("status", "qosClass") ?? KindRules.QosClass(obj);
            var plan = new PodPlan(pod.Namespace, pod.Name, pod.Uid, qos, node.Node, ip, network.PodRange(node.Index).PrefixLength);
            try
            {
                sandbox = await sandboxes.CreatePodAsync(plan, cancellationToken);
            }
            catch
            {
                node.Pool.Release(pod.Uid);
                throw;
            }
        }

        var run = new RunningPod(pod.Uid, node, sandbox);
        running[key] = run;
        logger.LogInformation("Pod {Namespace}/{Name} ({Uid}) running on {Node} with IP {Ip}", pod.Namespace, pod.Name, pod.Uid, node.Node.Name, sandbox.PodIps[0]);
        return run;
    }

    private async Task StopPodAsync(string key, RunningPod run)
    {
        running.TryRemove(KeyValuePair.Create(key, run));
        await sandboxes.RemovePodAsync(run.Sandbox);
        run.Node.Pool.Release(run.Uid);
        logger.LogInformation("Pod {Namespace}/{Name} ({Uid}) stopped on {Node}", run.Sandbox.Namespace, run.Sandbox.Name, run.Uid, run.Node.Node.Name);
    }

    /// <summary>Binds the pod to the least-loaded registered node whose labels satisfy its nodeSelector.</summary>
    private void Schedule(StoredObject pod)
    {
        var obj = pod.ToNode();
        var scheduler = obj.Str("spec", "schedulerName") ?? "default-scheduler";
        if (scheduler != "default-scheduler")
        {
            return;
        }

        var nodeSelector = obj.At("spec", "nodeSelector") as JsonObject ?? [];
        var candidates = nodes.Values
            .Select(n => (Runtime: n, Object: store.Get(ResourceCatalog.Nodes, null, n.Node.Name)))
            .Where(c => c.Object is not null
                && c.Object.Field("spec.unschedulable") != "true"
                && nodeSelector.All(kv => c.Object.Labels.TryGetValue(kv.Key, out var v) && v == kv.Value.Text()))
            .Select(c => c.Runtime)
            .ToList();
        if (candidates.Count == 0)
        {
            return;
        }

        // One decision at a time, as the one real scheduler makes them: concurrent pod workers would all see the same loads.
        lock (scheduling)
        {
            var chosen = candidates
                .OrderBy(n => store.List(ResourceCatalog.Pods, null, Selector.Parse(ResourceCatalog.Pods, null, $"spec.nodeName={n.Node.Name}")).Items.Count)
                .ThenBy(n => n.Index)
                .First();
            IgnoreGone(() => registry.GuaranteedUpdate(ResourceCatalog.Pods, pod.Namespace, pod.Name, current =>
            {
                var next = current.ToNode();
                if (current.Uid == pod.Uid && string.IsNullOrEmpty(next.Str("spec", "nodeName")))
                {
                    next.Obj("spec")["nodeName"] = chosen.Node.Name;
                }

                return next;
            }, statusOnly: false));
        }
    }

    private static JsonObject RunningStatus(JsonObject pod, IPAddress podIp, IPAddress hostIp)
    {
        var now = Json.Timestamp(DateTimeOffset.UtcNow);
        var previous = pod["status"] as JsonObject;
        var since = previous.Str("startTime") ?? now;
        var conditions = new JsonArray();
        foreach (var type in new[] { "PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled" })
        {
            conditions.Add(new JsonObject { ["type"] = type, ["status"] = "True", ["lastTransitionTime"] = since });
        }

        return new JsonObject
        {
            ["phase"] = "Running",
            ["conditions"] = conditions,
            ["hostIP"] = hostIp.ToString(),
            ["hostIPs"] = new JsonArray(new JsonObject { ["ip"] = hostIp.ToString() }),
            ["podIP"] = podIp.ToString(),
            ["podIPs"] = new JsonArray(new JsonObject { ["ip"] = podIp.ToString() }),
            ["startTime"] = since,
            ["initContainerStatuses"] = ContainerStatuses(pod.At("spec", "initContainers"), since, init: true),
            ["containerStatuses"] = ContainerStatuses(pod.At("spec", "containers"), since, init: false),
            ["qosClass"] = previous.Str("qosClass") ?? KindRules.QosClass(pod),
        };
    }

    private static JsonArray? ContainerStatuses(JsonNode? containers, string since, bool init)
    {
        if (containers is not JsonArray list || list.Count == 0)
        {
            return null;
        }

        var statuses = new JsonArray();
        foreach (var container in list)
        {
            var image = container.Str("image") ?? string.Empty;
            var state = init
                ? new JsonObject { ["terminated"] = new JsonObject { ["exitCode"] = 0, ["reason"] = "Completed", ["startedAt"] = since, ["finishedAt"] = since } }
                : new JsonObject { ["running"] = new JsonObject { ["startedAt"] = since } };
            statuses.Add(new JsonObject
            {
                ["name"] = container.Str("name"),
                ["state"] = state,
                ["lastState"] = new JsonObject(),
                ["ready"] = !init,
                ["restartCount"] = 0,
                ["image"] = image,
                ["imageID"] = $"{image.Split('@')[0].Split(':')[0]}@sha256:{Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(image)))}",
                ["containerID"] = "containerd://" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(since + container.Str("name") + image))),
                ["started"] = !init,
            });
        }

        return statuses;
    }

    private sealed record RunningPod(string Uid, NodeRuntime Node, PodSandbox Sandbox);
}
