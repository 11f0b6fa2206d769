using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using IstioPodNetwork.KubeSim.Store;

namespace IstioPodNetwork.KubeSim.Simulation;

/// <summary>
/// Deployment → ReplicaSet → pods and DaemonSet → one pod per node, with ownerReferences and status as the
/// real controllers write them. A template change makes a new ReplicaSet and scales the old ones to zero
/// at once (no surge/unavailability stepping).
/// </summary>
internal sealed partial class ClusterSimulator
{
    private const string TemplateHashLabel = "pod-template-hash";
    private const string RevisionAnnotation = "deployment.kubernetes.io/revision";

    private void ReconcileReplicaSet(StoredObject rs, JsonObject obj)
    {
        var (ns, name) = (rs.Namespace, rs.Name);
        var desired = obj.Long("spec", "replicas") ?? 1;
        var active = OwnedPods(rs).Where(p => !p.Terminating).ToList();
        if (active.Count < desired)
        {
            for (var i = active.Count; i < desired; i++)
            {
                registry.Create(ResourceCatalog.Pods, ns, PodFromTemplate(obj, rs, $"{name}-"));
            }
        }
        else if (active.Count > desired)
        {
            var victims = active
                .OrderBy(p => p.Field("status.phase") == "Running" ? 1 : 0)
                .ThenByDescending(p => p.ResourceVersion)
                .Take(active.Count - (int)desired);
            foreach (var victim in victims)
            {
                IgnoreGone(() => registry.Delete(ResourceCatalog.Pods, ns, victim.Name, DeleteOptions.Default));
            }
        }

        var owned = OwnedPods(rs).Where(p => !p.Terminating).ToList();
        var ready = owned.Count(p => p.Field("status.phase") == "Running");
        WriteStatus(ResourceCatalog.ReplicaSets, rs, new JsonObject
        {
            ["replicas"] = owned.Count,
            ["fullyLabeledReplicas"] = owned.Count,
            ["readyReplicas"] = ready,
            ["availableReplicas"] = ready,
            ["observedGeneration"] = obj.Long("metadata", "generation") ?? 1,
        });
    }

    private void ReconcileDeployment(StoredObject deployment, JsonObject obj)
    {
        var (ns, name) = (deployment.Namespace, deployment.Name);
        var desired = obj.Long("spec", "replicas") ?? 1;
        var template = obj.At("spec", "template") as JsonObject ?? [];
        var hash = TemplateHash(template);
        var newName = $"{name}-{hash}";
        var owned = store.List(ResourceCatalog.ReplicaSets, ns, Selector.Everything).Items.Where(r => r.Controller?.Uid == deployment.Uid).ToList();
        var current = owned.FirstOrDefault(r => r.Name == newName);
        if (current is null)
        {
            var revision = owned.Select(r => long.TryParse(r.ToNode().Str("metadata", "annotations", RevisionAnnotation), CultureInfo.InvariantCulture, out var n) ? n : 0).DefaultIfEmpty(0).Max() + 1;
            IgnoreGone(() => registry.Create(ResourceCatalog.ReplicaSets, ns, NewReplicaSet(obj, deployment, newName, hash, desired, revision)));
        }
        else if (current.ToNode().Long("spec", "replicas") != desired)
        {
            SetReplicas(current, desired);
        }

        foreach (var old in owned.Where(r => r.Name != newName && r.ToNode().Long("spec", "replicas") != 0))
        {
            SetReplicas(old, 0);
        }

        var statuses = store.List(ResourceCatalog.ReplicaSets, ns, Selector.Everything).Items
            .Where(r => r.Controller?.Uid == deployment.Uid)
            .Select(r => (r.Name, Status: r.ToNode()["status"]))
            .ToList();
        long Sum(string field) => statuses.Sum(s => s.Status.Long(field) ?? 0);
        var updated = statuses.FirstOrDefault(s => s.Name == newName).Status.Long("replicas") ?? 0;
        var available = Sum("availableReplicas");
        var status = new JsonObject
        {
            ["observedGeneration"] = obj.Long("metadata", "generation") ?? 1,
            ["replicas"] = Sum("replicas"),
            ["updatedReplicas"] = updated,
            ["readyReplicas"] = Sum("readyReplicas"),
            ["availableReplicas"] = available,
        };
        if (desired - available > 0)
        {
            status["unavailableReplicas"] = desired - available;
        }

        var previous = obj.At("status", "conditions") as JsonArray;
        var progressed = updated == desired && available >= desired;
        status["conditions"] = new JsonArray(
            Condition(previous, "Available", available >= desired ? "True" : "False", available >= desired ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable", available >= desired ? "Deployment has minimum availability." : "Deployment does not have minimum availability."),
            Condition(previous, "Progressing", "True", progressed ? "NewReplicaSetAvailable" : "ReplicaSetUpdated", progressed ? $"ReplicaSet \"{newName}\" has successfully progressed." : $"ReplicaSet \"{newName}\" is progressing."));
        WriteStatus(ResourceCatalog.Deployments, deployment, status);
    }

    private void ReconcileDaemonSet(StoredObject ds, JsonObject obj)
    {
        var (ns, name) = (ds.Namespace, ds.Name);
        var active = OwnedPods(ds).Where(p => !p.Terminating).ToList();
        var simulated = nodes.Values.OrderBy(n => n.Index).ToList();
        foreach (var node in simulated)
        {
            if (!active.Any(p => p.Field("spec.nodeName") == node.Node.Name))
            {
                var pod = PodFromTemplate(obj, ds, $"{name}-");
                pod.Obj("spec")["nodeName"] = node.Node.Name;
                registry.Create(ResourceCatalog.Pods, ns, pod);
            }
        }

        var owned = OwnedPods(ds).Where(p => !p.Terminating).ToList();
        var ready = owned.Count(p => p.Field("status.phase") == "Running");
        WriteStatus(ResourceCatalog.DaemonSets, ds, new JsonObject
        {
            ["currentNumberScheduled"] = owned.Count,
            ["numberMisscheduled"] = 0,
            ["desiredNumberScheduled"] = simulated.Count,
            ["numberReady"] = ready,
            ["observedGeneration"] = obj.Long("metadata", "generation") ?? 1,
            ["updatedNumberScheduled"] = owned.Count,
            ["numberAvailable"] = ready,
        });
    }

    private IEnumerable<StoredObject> OwnedPods(StoredObject owner) =>
        store.List(ResourceCatalog.Pods, owner.Namespace, Selector.Everything).Items.Where(p => p.Controller?.Uid == owner.Uid);

    private void WriteStatus(ResourceType type, StoredObject obj, JsonObject status) =>
        IgnoreGone(() => registry.GuaranteedUpdate(type, obj.Namespace, obj.Name, current =>
        {
            var node = current.ToNode();
            if (current.Uid == obj.Uid)
            {
                node["status"] = status.DeepClone();
            }

            return node;
        }, statusOnly: true));

    private void SetReplicas(StoredObject rs, long replicas) =>
        IgnoreGone(() => registry.GuaranteedUpdate(ResourceCatalog.ReplicaSets, rs.Namespace, rs.Name, current =>
        {
            var node = current.ToNode();
            node.Obj("spec")["replicas"] = replicas;
            return node;
        }, statusOnly: false));

    private static JsonObject PodFromTemplate(JsonObject owner, StoredObject ownerStored, string generateName)
    {
        var template = owner.At("spec", "template") as JsonObject ?? [];
        var metadata = new JsonObject
        {
            ["generateName"] = generateName,
            ["namespace"] = ownerStored.Namespace,
            ["labels"] = template.At("metadata", "labels")?.DeepClone(),
            ["annotations"] = template.At("metadata", "annotations")?.DeepClone(),
            ["ownerReferences"] = new JsonArray(OwnerReferenceTo(ownerStored)),
        };
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = metadata,
            ["spec"] = template["spec"]?.DeepClone() ?? new JsonObject(),
        };
    }

    private static JsonObject NewReplicaSet(JsonObject deployment, StoredObject stored, string name, string hash, long replicas, long revision)
    {
        var template = (JsonObject)(deployment.At("spec", "template") ?? new JsonObject()).DeepClone();
        template.Metadata().Obj("labels")[TemplateHashLabel] = hash;
        var selector = (JsonObject)(deployment.At("spec", "selector") ?? new JsonObject()).DeepClone();
        selector.Obj("matchLabels")[TemplateHashLabel] = hash;
        var labels = (JsonObject)template.Metadata()["labels"]!.DeepClone();
        return new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "ReplicaSet",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = stored.Namespace,
                ["labels"] = labels,
                ["annotations"] = new JsonObject
                {
                    ["deployment.kubernetes.io/desired-replicas"] = replicas.ToString(CultureInfo.InvariantCulture),
                    ["deployment.kubernetes.io/max-replicas"] = (replicas + 1).ToString(CultureInfo.InvariantCulture),
                    [RevisionAnnotation] = revision.ToString(CultureInfo.InvariantCulture),
                },
                ["ownerReferences"] = new JsonArray(OwnerReferenceTo(stored)),
            },
            ["spec"] = new JsonObject { ["replicas"] = replicas, ["selector"] = selector, ["template"] = template },
        };
    }

    private static JsonObject OwnerReferenceTo(StoredObject owner) => new()
    {
        ["apiVersion"] = owner.Type.ApiVersion,
        ["kind"] = owner.Type.Kind,
        ["name"] = owner.Name,
        ["uid"] = owner.Uid,
        ["controller"] = true,
        ["blockOwnerDeletion"] = true,
    };

    /// <summary>Keeps a condition's timestamps while its status and reason stay, so rewriting an unchanged status is a no-op.</summary>
    private static JsonObject Condition(JsonArray? previous, string type, string status, string reason, string message)
    {
        var old = previous?.FirstOrDefault(c => c.Str("type") == type);
        var now = Json.Timestamp(DateTimeOffset.UtcNow);
        var same = old.Str("status") == status && old.Str("reason") == reason;
        return new JsonObject
        {
            ["type"] = type,
            ["status"] = status,
            ["lastUpdateTime"] = same ? old.Str("lastUpdateTime") : now,
            ["lastTransitionTime"] = old.Str("status") == status ? old.Str("lastTransitionTime") ?? now : now,
            ["reason"] = reason,
            ["message"] = message,
        };
    }

    /// <summary>The deployment controller's pod-template-hash: FNV-1a of the template, as rand.SafeEncodeString writes it.</summary>
    private static string TemplateHash(JsonObject template)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(template.ToJsonString()))
        {
            hash = (hash ^ b) * 16777619u;
        }

        const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return string.Concat(hash.ToString(CultureInfo.InvariantCulture).Select(c => Alphabet[c % Alphabet.Length]));
    }
}
