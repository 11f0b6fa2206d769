using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace IstioPodNetwork.KubeSim.Store;

/// <summary>The per-kind defaulting and validation the real API server applies on create and update.</summary>
internal sealed partial class KindRules
{
    private const string SubdomainHelp = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    private const string LabelHelp = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    private const string Rfc1035Help = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

    private readonly Lock gate = new();
    private uint nextServiceIp;

    /// <param name="serviceNetwork">First address of the virtual service range (cluster IPs route nowhere; they only fill spec.clusterIP).</param>
    public KindRules(IPAddress serviceNetwork)
    {
        var bytes = serviceNetwork.GetAddressBytes();
        nextServiceIp = ((uint)bytes[0] << 24 | (uint)bytes[1] << 16 | (uint)bytes[2] << 8 | bytes[3]) + 10;
    }

    public static string? CheckName(NameRule rule, string name) => rule switch
    {
        NameRule.Subdomain when name.Length > 253 || !Subdomain().IsMatch(name) => SubdomainHelp,
        NameRule.Label when name.Length > 63 || !Label().IsMatch(name) => LabelHelp,
        NameRule.Rfc1035Label when name.Length > 63 || !Rfc1035().IsMatch(name) => Rfc1035Help,
        NameRule.PathSegment when name is "." or ".." || name.Contains('/') || name.Contains('%') => "may not contain '/' or '%' and may not be '.' or '..'",
        _ => null,
    };

    /// <summary>Fills what the server fills when absent. Idempotent: it runs on every create and update.</summary>
    public void Default(ResourceType type, JsonObject obj, bool creating)
    {
        if (type == ResourceCatalog.Pods)
        {
            var spec = obj.Obj("spec");
            DefaultPodSpec(spec);
            spec["serviceAccountName"] ??= "default";
            spec["serviceAccount"] ??= spec["serviceAccountName"]!.DeepClone();
        }
        else if (type == ResourceCatalog.Deployments)
        {
            var spec = obj.Obj("spec");
            spec["replicas"] ??= 1;
            spec["revisionHistoryLimit"] ??= 10;
            spec["progressDeadlineSeconds"] ??= 600;
            var strategy = spec.Obj("strategy");
            strategy["type"] ??= "RollingUpdate";
            if (strategy.Str("type") == "RollingUpdate")
            {
                var rolling = strategy.Obj("rollingUpdate");
                rolling["maxUnavailable"] ??= "25%";
                rolling["maxSurge"] ??= "25%";
            }

            DefaultPodSpec(spec.Obj("template").Obj("spec"));
        }
        else if (type == ResourceCatalog.ReplicaSets)
        {
            var spec = obj.Obj("spec");
            spec["replicas"] ??= 1;
            DefaultPodSpec(spec.Obj("template").Obj("spec"));
        }
        else if (type == ResourceCatalog.DaemonSets)
        {
            var spec = obj.Obj("spec");
            spec["revisionHistoryLimit"] ??= 10;
            var strategy = spec.Obj("updateStrategy");
            strategy["type"] ??= "RollingUpdate";
            if (strategy.Str("type") == "RollingUpdate")
            {
                var rolling = strategy.Obj("rollingUpdate");
                rolling["maxUnavailable"] ??= 1;
                rolling["maxSurge"] ??= 0;
            }

            DefaultPodSpec(spec.Obj("template").Obj("spec"));
        }
        else if (type == ResourceCatalog.Services)
        {
            DefaultService(obj.Obj("spec"), creating);
        }
        else if (type == ResourceCatalog.Secrets)
        {
            // stringData is write-only: the server folds it into data, base64-encoded.
            obj["type"] ??= "Opaque";
            if (obj["stringData"] is JsonObject stringData)
            {
                var data = obj.Obj("data");
                foreach (var (key, value) in stringData)
                {
                    data[key] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(value.Text() ?? string.Empty));
                }

                obj.Remove("stringData");
            }
        }
        else if (type == ResourceCatalog.Namespaces)
        {
            var name = obj.Str("metadata", "name") ?? string.Empty;
            obj.Metadata().Obj("labels")["kubernetes.io/metadata.name"] = name;
            var spec = obj.Obj("spec");
            spec["finalizers"] ??= new JsonArray("kubernetes");
            if (creating)
            {
                obj["status"] = new JsonObject { ["phase"] = "Active" };
            }
        }
    }

    /// <summary>The status a created object starts with, when the kind resets it.</summary>
    public static JsonObject InitialStatus(ResourceType type, JsonObject obj) => type == ResourceCatalog.Pods
        ? new JsonObject { ["phase"] = "Pending", ["qosClass"] = QosClass(obj) }
        : type == ResourceCatalog.Services ? new JsonObject { ["loadBalancer"] = new JsonObject() } : [];

    public static List<FieldCause> Validate(ResourceType type, JsonObject obj)
    {
        var causes = new List<FieldCause>();
        if (type == ResourceCatalog.Pods)
        {
            ValidateContainers(obj.At("spec", "containers"), "spec.containers", causes);
        }
        else if (type == ResourceCatalog.Deployments || type == ResourceCatalog.ReplicaSets || type == ResourceCatalog.DaemonSets)
        {
            if (obj.At("spec", "selector") is null)
            {
                causes.Add(FieldCause.Required("spec.selector"));
            }

            ValidateContainers(obj.At("spec", "template", "spec", "containers"), "spec.template.spec.containers", causes);
        }
        else if (type == ResourceCatalog.Events)
        {
            // pkg/apis/core/validation/events.go legacyValidateEvent: an Event about a namespaced object lives in its namespace.
            var eventNs = obj.Str("metadata", "namespace") ?? string.Empty;
            var involvedNs = obj.Str("involvedObject", "namespace") ?? string.Empty;
            var mismatch = involvedNs.Length == 0 ? eventNs is not ("" or "default") : eventNs != involvedNs;
            if (mismatch)
            {
                causes.Add(FieldCause.Invalid("involvedObject.namespace", involvedNs, "does not match event.namespace"));
            }
        }

        return causes;
    }

    /// <summary>The pod's QoS class (pkg/apis/core/helper/qos): it decides the kubepods cgroup the pod lives in.</summary>
    public static string QosClass(JsonObject pod)
    {
        var containers = (pod.At("spec", "containers") as JsonArray ?? []).Concat(pod.At("spec", "initContainers") as JsonArray ?? []).ToList();
        var anySet = false;
        var guaranteed = containers.Count > 0;
        foreach (var container in containers)
        {
            var requests = container.At("resources", "requests") as JsonObject;
            var limits = container.At("resources", "limits") as JsonObject;
            anySet |= (requests?.Count ?? 0) > 0 || (limits?.Count ?? 0) > 0;
            foreach (var resource in new[] { "cpu", "memory" })
            {
                var limit = limits?[resource]?.Text();
                var request = requests?[resource]?.Text() ?? limit;
                guaranteed &= limit is not null && request == limit;
            }
        }

        return !anySet ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
    }

    private static void ValidateContainers(JsonNode? containers, string path, List<FieldCause> causes)
    {
        if (containers is not JsonArray list || list.Count == 0)
        {
            causes.Add(FieldCause.Required(path));
            return;
        }

        for (var i = 0; i < list.Count; i++)
        {
            if (string.IsNullOrEmpty(list[i].Str("name")))
            {
                causes.Add(FieldCause.Required($"{path}[{i}].name"));
            }

            if (string.IsNullOrEmpty(list[i].Str("image")))
            {
                causes.Add(FieldCause.Required($"{path}[{i}].image"));
            }
        }
    }

    private static void DefaultPodSpec(JsonObject spec)
    {
        spec["restartPolicy"] ??= "Always";
        spec["terminationGracePeriodSeconds"] ??= 30;
        spec["dnsPolicy"] ??= "ClusterFirst";
        spec["securityContext"] ??= new JsonObject();
        spec["schedulerName"] ??= "default-scheduler";
        spec["enableServiceLinks"] ??= true;
        spec["preemptionPolicy"] ??= "PreemptLowerPriority";
        spec["priority"] ??= 0;
        foreach (var list in new[] { "initContainers", "containers" })
        {
            foreach (var container in (spec[list] as JsonArray ?? []).OfType<JsonObject>())
            {
                container["resources"] ??= new JsonObject();
                container["terminationMessagePath"] ??= "/dev/termination-log";
                container["terminationMessagePolicy"] ??= "File";
                var image = container.Str("image") ?? string.Empty;
                var tagged = image.LastIndexOf(':') > image.LastIndexOf('/') && !image.EndsWith(":latest", StringComparison.Ordinal);
                container["imagePullPolicy"] ??= tagged || image.Contains('@') ? "IfNotPresent" : "Always";
                foreach (var port in (container["ports"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    port["protocol"] ??= "TCP";
                }
            }
        }
    }

    private void DefaultService(JsonObject spec, bool creating)
    {
        spec["type"] ??= "ClusterIP";
        spec["sessionAffinity"] ??= "None";
        if (spec.Str("type") != "ExternalName")
        {
            if (creating && spec["clusterIP"] is null)
            {
                spec["clusterIP"] = AllocateServiceIp();
            }

            if (spec.Str("clusterIP") is { } clusterIp)
            {
                spec["clusterIPs"] ??= new JsonArray(clusterIp);
            }

            spec["ipFamilies"] ??= new JsonArray("IPv4");
            spec["ipFamilyPolicy"] ??= "SingleStack";
            spec["internalTrafficPolicy"] ??= "Cluster";
        }

        foreach (var port in (spec["ports"] as JsonArray ?? []).OfType<JsonObject>())
        {
            port["protocol"] ??= "TCP";
            port["targetPort"] ??= port["port"]?.DeepClone();
        }
    }

    private string AllocateServiceIp()
    {
        lock (gate)
        {
            var ip = nextServiceIp++;
            return new IPAddress([(byte)(ip >> 24), (byte)(ip >> 16), (byte)(ip >> 8), (byte)ip]).ToString();
        }
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Label();

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Rfc1035();
}
