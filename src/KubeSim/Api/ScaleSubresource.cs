using System.Text.Json.Nodes;
using IstioPodNetwork.KubeSim.Store;

namespace IstioPodNetwork.KubeSim.Api;

/// <summary>The scale subresource of deployments and replicasets (what `kubectl scale` uses).</summary>
internal static class ScaleSubresource
{
    public static bool Scales(ResourceType type) => type == ResourceCatalog.Deployments || type == ResourceCatalog.ReplicaSets;

    public static JsonObject Of(StoredObject parent)
    {
        var obj = parent.ToNode();
        var selector = obj.At("spec", "selector", "matchLabels") as JsonObject ?? [];
        var metadata = new JsonObject
        {
            ["name"] = parent.Name,
            ["namespace"] = parent.Namespace,
            ["uid"] = parent.Uid,
            ["resourceVersion"] = obj.Str("metadata", "resourceVersion"),
            ["creationTimestamp"] = obj.Str("metadata", "creationTimestamp"),
        };
        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject { ["replicas"] = obj.Long("spec", "replicas") ?? 1 },
            ["status"] = new JsonObject
            {
                ["replicas"] = obj.Long("status", "replicas") ?? 0,
                ["selector"] = string.Join(',', selector.Select(kv => $"{kv.Key}={kv.Value.Text()}")),
            },
        };
    }

    /// <summary>Sets the parent's spec.replicas from a Scale; a Scale carrying a stale resourceVersion is 409.</summary>
    public static StoredObject Write(ResourceRegistry registry, StoredObject parent, JsonObject scale, bool dryRun)
    {
        var replicas = scale.Long("spec", "replicas") is { } n and >= 0
            ? n
            : throw ApiException.Invalid(parent.Type, parent.Name, [FieldCause.Required("spec.replicas")]);
        var precondition = ResourceRegistry.ParseVersion(scale.Str("metadata", "resourceVersion"));
        return registry.GuaranteedUpdate(parent.Type, parent.Namespace, parent.Name, current =>
        {
            var node = current.ToNode();
            node.Obj("spec")["replicas"] = replicas;
            return node;
        }, statusOnly: false, precondition, dryRun);
    }
}
