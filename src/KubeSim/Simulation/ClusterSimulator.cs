using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using IstioPodNetwork.KubeSim.Sandbox;
using IstioPodNetwork.KubeSim.Store;
using Microsoft.Extensions.Logging;

namespace IstioPodNetwork.KubeSim.Simulation;

/// <summary>
/// The rest of a cluster around the API: a scheduler, a kubelet per registered node, the ReplicaSet,
/// Deployment and DaemonSet controllers, the namespace controller and the garbage collector. Each is a
/// work queue fed by the store's change stream and writes back through the registry, as real controllers do.
/// </summary>
internal sealed partial class ClusterSimulator : IAsyncDisposable
{
    public const string NetnsAnnotation = "kubesim.io/netns";

    private readonly ResourceRegistry registry;
    private readonly ObjectStore store;
    private readonly ISandboxProvider sandboxes;
    private readonly ClusterNetwork network;
    private readonly KubeSimOptions options;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stopping = new();
    private readonly SemaphoreSlim registering = new(1, 1);
    private readonly ConcurrentDictionary<string, NodeRuntime> nodes = new(StringComparer.Ordinal);
    private readonly WorkQueue pods;
    private readonly WorkQueue replicaSets;
    private readonly WorkQueue deployments;
    private readonly WorkQueue daemonSets;
    private readonly WorkQueue namespaces;
    private readonly WorkQueue garbage;

    public ClusterSimulator(ResourceRegistry registry, ISandboxProvider sandboxes, ClusterNetwork network, KubeSimOptions options, ILogger logger)
    {
        this.registry = registry;
        store = registry.Store;
        this.sandboxes = sandboxes;
        this.network = network;
        this.options = options;
        this.logger = logger;
        var token = stopping.Token;
        pods = new WorkQueue("pod", 4, ReconcilePodAsync, logger, token);
        replicaSets = new WorkQueue("replicaset", 1, (key, _) => ForLive(ResourceCatalog.ReplicaSets, key, ReconcileReplicaSet), logger, token);
        deployments = new WorkQueue("deployment", 1, (key, _) => ForLive(ResourceCatalog.Deployments, key, ReconcileDeployment), logger, token);
        daemonSets = new WorkQueue("daemonset", 1, (key, _) => ForLive(ResourceCatalog.DaemonSets, key, ReconcileDaemonSet), logger, token);
        namespaces = new WorkQueue("namespace", 1, (key, _) => Sync(ReconcileNamespace, key), logger, token);
        garbage = new WorkQueue("garbage-collector", 1, (key, _) => Sync(CollectGarbage, key), logger, token);
        registry.NodeHasKubelet = nodes.ContainsKey;
        store.Subscribe(OnChange);
    }

    public IReadOnlyList<SimulatedNode> Nodes => [.. nodes.Values.OrderBy(n => n.Index).Select(n => n.Node)];

    public async Task<SimulatedNode> RegisterNodeAsync(string name, NodeOptions? nodeOptions, CancellationToken cancellationToken)
    {
        if (KindRules.CheckName(NameRule.Subdomain, name) is { } problem)
        {
            throw new ArgumentException($"node name \"{name}\": {problem}");
        }

        await registering.WaitAsync(cancellationToken);
        try
        {
            if (nodes.TryGetValue(name, out var existing))
            {
                return existing.Node;
            }

            var index = nodes.Count + 1;
            if (index > network.MaxNodes)
            {
                throw new InvalidOperationException($"the cluster network {network.Cluster} has room for {network.MaxNodes} nodes");
            }

            var podRange = network.PodRange(index);
            var nodeIp = network.NodeIp(index);
            var gateway = podRange.Host(1);
            var plan = new NodePlan(name, index, nodeIp, gateway, podRange.PrefixLength, network.UplinkPrefixLength);
            var netns = await sandboxes.CreateNodeAsync(plan, cancellationToken);
            var node = new SimulatedNode(name, nodeIp, podRange.ToString(), gateway, netns, nodeOptions?.CgroupDriver ?? options.CgroupDriver);
            try
            {
                WriteNodeObject(node, nodeOptions);
            }
            catch
            {
                await sandboxes.RemoveNodeAsync(node);
                throw;
            }

            nodes[name] = new NodeRuntime(node, index, new IpPool(podRange));
            logger.LogInformation("Node {Node} registered: InternalIP {NodeIp}, podCIDR {PodCidr}, netns {Netns}", name, nodeIp, node.PodCidr, netns ?? "(none)");
            foreach (var ds in store.List(ResourceCatalog.DaemonSets, null, Selector.Everything).Items)
            {
                daemonSets.Add(ds.Key);
            }

            foreach (var pod in store.List(ResourceCatalog.Pods, null, Selector.Everything).Items)
            {
                if (pod.Field("spec.nodeName") is "" || pod.Field("spec.nodeName") == name)
                {
                    pods.Add(pod.Key);
                }
            }

            return node;
        }
        finally
        {
            registering.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        await Task.WhenAll(pods.StopAsync(), replicaSets.StopAsync(), deployments.StopAsync(), daemonSets.StopAsync(), namespaces.StopAsync(), garbage.StopAsync());
        await Task.WhenAll(running.Values.Select(r => sandboxes.RemovePodAsync(r.Sandbox)));
        running.Clear();
        await Task.WhenAll(nodes.Values.Select(n => sandboxes.RemoveNodeAsync(n.Node)));
        nodes.Clear();
        stopping.Dispose();
        registering.Dispose();
    }

    /// <summary>Runs under the store's lock: only enqueues keys.</summary>
    private void OnChange(StoreEvent change)
    {
        var obj = change.Object;
        var controller = obj.Controller;
        if (obj.Type == ResourceCatalog.Pods)
        {
            pods.Add(obj.Key);
            if (controller is { Kind: "ReplicaSet" })
            {
                replicaSets.Add(StoredObject.KeyOf(obj.Namespace, controller.Name));
            }
            else if (controller is { Kind: "DaemonSet" })
            {
                daemonSets.Add(StoredObject.KeyOf(obj.Namespace, controller.Name));
            }
        }
        else if (obj.Type == ResourceCatalog.ReplicaSets)
        {
            replicaSets.Add(obj.Key);
            if (controller is { Kind: "Deployment" })
            {
                deployments.Add(StoredObject.KeyOf(obj.Namespace, controller.Name));
            }
        }
        else if (obj.Type == ResourceCatalog.Deployments)
        {
            deployments.Add(obj.Key);
        }
        else if (obj.Type == ResourceCatalog.DaemonSets)
        {
            daemonSets.Add(obj.Key);
        }
        else if (obj.Type == ResourceCatalog.Namespaces)
        {
            namespaces.Add(obj.Name);
        }

        if (change.Type == EventType.Deleted && obj.Type != ResourceCatalog.Events)
        {
            garbage.Add($"{obj.Namespace}|{obj.Uid}");
        }
    }

    private void WriteNodeObject(SimulatedNode node, NodeOptions? nodeOptions)
    {
        var labels = new JsonObject
        {
            ["kubernetes.io/hostname"] = node.Name,
            ["kubernetes.io/os"] = "linux",
            ["kubernetes.io/arch"] = "amd64",
            ["beta.kubernetes.io/os"] = "linux",
            ["beta.kubernetes.io/arch"] = "amd64",
        };
        foreach (var (key, value) in nodeOptions?.Labels ?? new Dictionary<string, string>())
        {
            labels[key] = value;
        }

        var annotations = new JsonObject { ["node.alpha.kubernetes.io/ttl"] = "0" };
        if (node.NetnsName is not null)
        {
            annotations[NetnsAnnotation] = node.NetnsName;
        }

        var now = Json.Timestamp(DateTimeOffset.UtcNow);
        var capacity = new JsonObject { ["cpu"] = "4", ["ephemeral-storage"] = "100Gi", ["memory"] = "16Gi", ["pods"] = "110" };
        var obj = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = node.Name, ["labels"] = labels, ["annotations"] = annotations },
            ["spec"] = new JsonObject { ["podCIDR"] = node.PodCidr, ["podCIDRs"] = new JsonArray(node.PodCidr) },
            ["status"] = new JsonObject
            {
                ["capacity"] = capacity,
                ["allocatable"] = capacity.DeepClone(),
                ["conditions"] = new JsonArray(
                    NodeCondition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available", now),
                    NodeCondition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", now),
                    NodeCondition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available", now),
                    NodeCondition("Ready", "True", "KubeletReady", "kubelet is posting ready status", now)),
                ["addresses"] = new JsonArray(
                    new JsonObject { ["type"] = "InternalIP", ["address"] = node.InternalIp.ToString() },
                    new JsonObject { ["type"] = "Hostname", ["address"] = node.Name }),
                ["daemonEndpoints"] = new JsonObject { ["kubeletEndpoint"] = new JsonObject { ["Port"] = 10250 } },
                ["nodeInfo"] = new JsonObject
                {
                    ["machineID"] = Guid.NewGuid().ToString("N"),
                    ["systemUUID"] = Guid.NewGuid().ToString(),
                    ["bootID"] = Guid.NewGuid().ToString(),
                    ["kernelVersion"] = KernelVersion(),
                    ["osImage"] = "KubeSim simulated node",
                    ["containerRuntimeVersion"] = "containerd://1.7.24",
                    ["kubeletVersion"] = "v1.32.4-kubesim",
                    ["kubeProxyVersion"] = "v1.32.4-kubesim",
                    ["operatingSystem"] = "linux",
                    ["architecture"] = "amd64",
                },
            },
        };
        if (store.Get(ResourceCatalog.Nodes, null, node.Name) is null)
        {
            try
            {
                registry.Create(ResourceCatalog.Nodes, null, obj);
                return;
            }
            catch (ApiException e) when (e.Code == 409)
            {
                // Created through the API meanwhile: take it over below.
            }
        }

        registry.GuaranteedUpdate(ResourceCatalog.Nodes, null, node.Name, current =>
        {
            var existing = current.ToNode();
            var metadata = existing.Metadata();
            foreach (var (key, value) in labels)
            {
                metadata.Obj("labels")[key] = value?.DeepClone();
            }

            foreach (var (key, value) in annotations)
            {
                metadata.Obj("annotations")[key] = value?.DeepClone();
            }

            existing["spec"] = obj["spec"]!.DeepClone();
            return existing;
        }, statusOnly: false);
        registry.GuaranteedUpdate(ResourceCatalog.Nodes, null, node.Name, current =>
        {
            var existing = current.ToNode();
            existing["status"] = obj["status"]!.DeepClone();
            return existing;
        }, statusOnly: true);
    }

    private static JsonObject NodeCondition(string type, string status, string reason, string message, string now) => new()
    {
        ["type"] = type,
        ["status"] = status,
        ["lastHeartbeatTime"] = now,
        ["lastTransitionTime"] = now,
        ["reason"] = reason,
        ["message"] = message,
    };

    private static string KernelVersion()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static Task Sync(Action<string> reconcile, string key)
    {
        reconcile(key);
        return Task.CompletedTask;
    }

    /// <summary>Runs a workload controller on the key's object if it exists and is not being deleted.</summary>
    private Task ForLive(ResourceType type, string key, Action<StoredObject, JsonObject> reconcile)
    {
        var (ns, name) = SplitKey(key);
        if (store.Get(type, ns, name) is { Terminating: false } live)
        {
            reconcile(live, live.ToNode());
        }

        return Task.CompletedTask;
    }

    private static (string? Namespace, string Name) SplitKey(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? (null, key) : (key[..slash], key[(slash + 1)..]);
    }

    private static void IgnoreGone(Action write)
    {
        try
        {
            write();
        }
        catch (ApiException e) when (e.Code is 404 or 409)
        {
            // Deleted or replaced meanwhile: the change that did it queues the key again.
        }
    }

    private sealed record NodeRuntime(SimulatedNode Node, int Index, IpPool Pool);
}
