using System.Globalization;
using System.Text.Json.Nodes;
using IstioPodNetwork.KubeSim.Patching;

namespace IstioPodNetwork.KubeSim.Store;

/// <summary>Every kind KubeSim serves. One generic store serves them all; a new kind is one more entry here.</summary>
internal static class ResourceCatalog
{
    private static readonly string[] Workloads = ["all"];

    /// <summary>Declared first: the kinds below use it, and static fields initialize in textual order.</summary>
    public static readonly TableColumn AgeColumn = new("Age", "string", 0, (o, now) => Age(o, now));

    public static readonly ResourceType Namespaces = new()
    {
        Group = "",
        Version = "v1",
        Plural = "namespaces",
        Kind = "Namespace",
        Namespaced = false,
        ShortNames = ["ns"],
        HasStatus = true,
        NameRule = NameRule.Label,
        PatchSchema = KubeSchemas.Namespace,
        Fields = [new("status.phase", ["status", "phase"])],
        Columns = [Column("Status", "string", 0, (o, _) => o.Str("status", "phase")), AgeColumn],
    };

    public static readonly ResourceType Pods = new()
    {
        Group = "",
        Version = "v1",
        Plural = "pods",
        Kind = "Pod",
        Namespaced = true,
        ShortNames = ["po"],
        Categories = Workloads,
        HasStatus = true,
        ReturnsDeletedObject = true,
        ResetsStatusOnCreate = true,
        PatchSchema = KubeSchemas.Pod,
        Fields =
        [
            new("spec.nodeName", ["spec", "nodeName"]),
            new("spec.restartPolicy", ["spec", "restartPolicy"]),
            new("spec.schedulerName", ["spec", "schedulerName"]),
            new("spec.serviceAccountName", ["spec", "serviceAccountName"]),
            new("spec.hostNetwork", ["spec", "hostNetwork"], "false"),
            new("status.phase", ["status", "phase"]),
            new("status.podIP", ["status", "podIP"]),
            new("status.nominatedNodeName", ["status", "nominatedNodeName"]),
        ],
        Columns =
        [
            Column("Ready", "string", 0, (o, _) => PodReady(o)),
            Column("Status", "string", 0, (o, _) => o.Str("metadata", "deletionTimestamp") is null ? o.Str("status", "reason") ?? o.Str("status", "phase") : "Terminating"),
            Column("Restarts", "string", 0, (o, _) => (o.At("status", "containerStatuses") as JsonArray ?? []).Sum(c => c.Long("restartCount") ?? 0).ToString(CultureInfo.InvariantCulture)),
            AgeColumn,
            Column("IP", "string", 1, (o, _) => o.Str("status", "podIP") ?? "<none>"),
            Column("Node", "string", 1, (o, _) => o.Str("spec", "nodeName") ?? "<none>"),
            Column("Nominated Node", "string", 1, (o, _) => o.Str("status", "nominatedNodeName") ?? "<none>"),
            Column("Readiness Gates", "string", 1, (_, _) => "<none>"),
        ],
    };

    public static readonly ResourceType Nodes = new()
    {
        Group = "",
        Version = "v1",
        Plural = "nodes",
        Kind = "Node",
        Namespaced = false,
        ShortNames = ["no"],
        HasStatus = true,
        PatchSchema = KubeSchemas.Node,
        Fields = [new("spec.unschedulable", ["spec", "unschedulable"], "false")],
        Columns =
        [
            Column("Status", "string", 0, (o, _) => NodeReady(o) ? "Ready" : "NotReady"),
            Column("Roles", "string", 0, (_, _) => "<none>"),
            AgeColumn,
            Column("Version", "string", 0, (o, _) => o.Str("status", "nodeInfo", "kubeletVersion")),
            Column("Internal-IP", "string", 1, (o, _) => NodeAddress(o, "InternalIP") ?? "<none>"),
            Column("External-IP", "string", 1, (o, _) => NodeAddress(o, "ExternalIP") ?? "<none>"),
            Column("OS-Image", "string", 1, (o, _) => o.Str("status", "nodeInfo", "osImage")),
            Column("Kernel-Version", "string", 1, (o, _) => o.Str("status", "nodeInfo", "kernelVersion")),
            Column("Container-Runtime", "string", 1, (o, _) => o.Str("status", "nodeInfo", "containerRuntimeVersion")),
        ],
    };

    public static readonly ResourceType Events = new()
    {
        Group = "",
        Version = "v1",
        Plural = "events",
        Kind = "Event",
        Namespaced = true,
        ShortNames = ["ev"],
        Fields =
        [
            .. new[] { "kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath" }
                .Select(f => new FieldSelectorField("involvedObject." + f, ["involvedObject", f])),
            new("reason", ["reason"]),
            new("reportingComponent", ["reportingComponent"]),
            new("source", ["source", "component"]),
            new("type", ["type"]),
        ],
        PatchSchema = KubeSchemas.MetadataOnly,
    };

    public static readonly ResourceType Services = new()
    {
        Group = "",
        Version = "v1",
        Plural = "services",
        Kind = "Service",
        Namespaced = true,
        ShortNames = ["svc"],
        Categories = Workloads,
        HasStatus = true,
        ResetsStatusOnCreate = true,
        NameRule = NameRule.Rfc1035Label,
        PatchSchema = KubeSchemas.Service,
        Columns =
        [
            Column("Type", "string", 0, (o, _) => o.Str("spec", "type")),
            Column("Cluster-IP", "string", 0, (o, _) => o.Str("spec", "clusterIP")),
            Column("External-IP", "string", 0, (_, _) => "<none>"),
            Column("Port(s)", "string", 0, (o, _) => ServicePorts(o)),
            AgeColumn,
            Column("Selector", "string", 1, (o, _) => LabelText(o.At("spec", "selector"))),
        ],
    };

    public static readonly ResourceType ConfigMaps = new()
    {
        Group = "",
        Version = "v1",
        Plural = "configmaps",
        Kind = "ConfigMap",
        Namespaced = true,
        ShortNames = ["cm"],
        PatchSchema = KubeSchemas.MetadataOnly,
        Columns = [Column("Data", "integer", 0, (o, _) => (o["data"] as JsonObject)?.Count ?? 0), AgeColumn],
    };

    public static readonly ResourceType Secrets = new()
    {
        Group = "",
        Version = "v1",
        Plural = "secrets",
        Kind = "Secret",
        Namespaced = true,
        PatchSchema = KubeSchemas.MetadataOnly,
        Fields = [new("type", ["type"])],
        Columns =
        [
            Column("Type", "string", 0, (o, _) => o.Str("type")),
            Column("Data", "integer", 0, (o, _) => (o["data"] as JsonObject)?.Count ?? 0),
            AgeColumn,
        ],
    };

    public static readonly ResourceType ServiceAccounts = new()
    {
        Group = "",
        Version = "v1",
        Plural = "serviceaccounts",
        Kind = "ServiceAccount",
        Namespaced = true,
        ShortNames = ["sa"],
        ReturnsDeletedObject = true,
        PatchSchema = KubeSchemas.ServiceAccount,
        Columns = [Column("Secrets", "integer", 0, (o, _) => (o["secrets"] as JsonArray)?.Count ?? 0), AgeColumn],
    };

    public static readonly ResourceType Deployments = new()
    {
        Group = "apps",
        Version = "v1",
        Plural = "deployments",
        Kind = "Deployment",
        Namespaced = true,
        ShortNames = ["deploy"],
        Categories = Workloads,
        HasStatus = true,
        TracksGeneration = true,
        ResetsStatusOnCreate = true,
        PatchSchema = KubeSchemas.Deployment,
        Columns =
        [
            Column("Ready", "string", 0, (o, _) => $"{o.Long("status", "readyReplicas") ?? 0}/{o.Long("spec", "replicas") ?? 1}"),
            Column("Up-to-date", "integer", 0, (o, _) => o.Long("status", "updatedReplicas") ?? 0),
            Column("Available", "integer", 0, (o, _) => o.Long("status", "availableReplicas") ?? 0),
            AgeColumn,
            Column("Containers", "string", 1, (o, _) => TemplateContainers(o, "name")),
            Column("Images", "string", 1, (o, _) => TemplateContainers(o, "image")),
            Column("Selector", "string", 1, (o, _) => LabelText(o.At("spec", "selector", "matchLabels"))),
        ],
    };

    public static readonly ResourceType ReplicaSets = new()
    {
        Group = "apps",
        Version = "v1",
        Plural = "replicasets",
        Kind = "ReplicaSet",
        Namespaced = true,
        ShortNames = ["rs"],
        Categories = Workloads,
        HasStatus = true,
        TracksGeneration = true,
        ResetsStatusOnCreate = true,
        PatchSchema = KubeSchemas.ReplicaSetOrDaemonSet,
        Columns =
        [
            Column("Desired", "integer", 0, (o, _) => o.Long("spec", "replicas") ?? 1),
            Column("Current", "integer", 0, (o, _) => o.Long("status", "replicas") ?? 0),
            Column("Ready", "integer", 0, (o, _) => o.Long("status", "readyReplicas") ?? 0),
            AgeColumn,
        ],
    };

    public static readonly ResourceType DaemonSets = new()
    {
        Group = "apps",
        Version = "v1",
        Plural = "daemonsets",
        Kind = "DaemonSet",
        Namespaced = true,
        ShortNames = ["ds"],
        Categories = Workloads,
        HasStatus = true,
        TracksGeneration = true,
        ResetsStatusOnCreate = true,
        PatchSchema = KubeSchemas.ReplicaSetOrDaemonSet,
        Columns =
        [
            Column("Desired", "integer", 0, (o, _) => o.Long("status", "desiredNumberScheduled") ?? 0),
            Column("Current", "integer", 0, (o, _) => o.Long("status", "currentNumberScheduled") ?? 0),
            Column("Ready", "integer", 0, (o, _) => o.Long("status", "numberReady") ?? 0),
            Column("Up-to-date", "integer", 0, (o, _) => o.Long("status", "updatedNumberScheduled") ?? 0),
            Column("Available", "integer", 0, (o, _) => o.Long("status", "numberAvailable") ?? 0),
            Column("Node Selector", "string", 0, (o, _) => LabelText(o.At("spec", "template", "spec", "nodeSelector"))),
            AgeColumn,
        ],
    };

    public static readonly ResourceType Leases = new()
    {
        Group = "coordination.k8s.io",
        Version = "v1",
        Plural = "leases",
        Kind = "Lease",
        Namespaced = true,
        PatchSchema = KubeSchemas.MetadataOnly,
        Columns = [Column("Holder", "string", 0, (o, _) => o.Str("spec", "holderIdentity") ?? ""), AgeColumn],
    };

    public static readonly ResourceType Roles = Rbac("roles", "Role", namespaced: true);

    public static readonly ResourceType ClusterRoles = Rbac("clusterroles", "ClusterRole", namespaced: false);

    public static readonly ResourceType RoleBindings = Rbac("rolebindings", "RoleBinding", namespaced: true);

    public static readonly ResourceType ClusterRoleBindings = Rbac("clusterrolebindings", "ClusterRoleBinding", namespaced: false);

    public static readonly IReadOnlyList<ResourceType> All =
    [
        Namespaces, Pods, Nodes, Events, Services, ConfigMaps, Secrets, ServiceAccounts,
        Deployments, ReplicaSets, DaemonSets, Leases, Roles, ClusterRoles, RoleBindings, ClusterRoleBindings,
    ];

    private static readonly Dictionary<(string Group, string Version, string Plural), ResourceType> ByPath =
        All.ToDictionary(t => (t.Group, t.Version, t.Plural));

    /// <summary>The group-versions in discovery order: the core group first.</summary>
    public static IEnumerable<IGrouping<string, ResourceType>> GroupVersions => All.GroupBy(t => t.GroupVersion);

    public static ResourceType? Find(string group, string version, string plural) =>
        ByPath.GetValueOrDefault((group, version, plural));

    private static ResourceType Rbac(string plural, string kind, bool namespaced) => new()
    {
        Group = "rbac.authorization.k8s.io",
        Version = "v1",
        Plural = plural,
        Kind = kind,
        Namespaced = namespaced,
        NameRule = NameRule.PathSegment,
        PatchSchema = KubeSchemas.MetadataOnly,
        Columns = [AgeColumn],
    };

    private static TableColumn Column(string name, string type, int priority, Func<JsonObject, DateTimeOffset, object?> cell) =>
        new(name, type, priority, cell);

    private static string PodReady(JsonObject pod)
    {
        var containers = (pod.At("spec", "containers") as JsonArray)?.Count ?? 0;
        var ready = (pod.At("status", "containerStatuses") as JsonArray ?? []).Count(c => c.Bool("ready") == true);
        return $"{ready}/{containers}";
    }

    private static bool NodeReady(JsonObject node) =>
        (node.At("status", "conditions") as JsonArray ?? []).Any(c => c.Str("type") == "Ready" && c.Str("status") == "True");

    private static string? NodeAddress(JsonObject node, string type) =>
        (node.At("status", "addresses") as JsonArray ?? []).FirstOrDefault(a => a.Str("type") == type).Str("address");

    private static string ServicePorts(JsonObject service)
    {
        var ports = (service.At("spec", "ports") as JsonArray ?? [])
            .Select(p => $"{p.Long("port")}/{p.Str("protocol") ?? "TCP"}")
            .ToList();
        return ports.Count == 0 ? "<none>" : string.Join(',', ports);
    }

    private static string TemplateContainers(JsonObject workload, string field) =>
        string.Join(',', (workload.At("spec", "template", "spec", "containers") as JsonArray ?? []).Select(c => c.Str(field)));

    private static string LabelText(JsonNode? labels) => labels is JsonObject map && map.Count > 0
        ? string.Join(',', map.Select(kv => $"{kv.Key}={kv.Value.Text()}"))
        : "<none>";

    private static string Age(JsonObject obj, DateTimeOffset now) =>
        Json.ParseTimestamp(obj.Str("metadata", "creationTimestamp")) is { } created ? HumanDuration(now - created) : "<unknown>";

    /// <summary>apimachinery's duration.HumanDuration: how kubectl shows an age.</summary>
    public static string HumanDuration(TimeSpan age)
    {
        var seconds = (long)age.TotalSeconds;
        if (seconds < -1)
        {
            return "<invalid>";
        }

        seconds = Math.Max(seconds, 0);
        var minutes = seconds / 60;
        var hours = minutes / 60;
        var days = hours / 24;
        var years = days / 365;
        return (seconds, minutes, hours, days, years) switch
        {
            _ when seconds < 120 => $"{seconds}s",
            _ when minutes < 10 => seconds % 60 == 0 ? $"{minutes}m" : $"{minutes}m{seconds % 60}s",
            _ when minutes < 180 => $"{minutes}m",
            _ when hours < 8 => minutes % 60 == 0 ? $"{hours}h" : $"{hours}h{minutes % 60}m",
            _ when hours < 48 => $"{hours}h",
            _ when hours < 192 => hours % 24 == 0 ? $"{days}d" : $"{days}d{hours % 24}h",
            _ when days < 730 => $"{days}d",
            _ when years < 8 => $"{years}y{days % 365}d",
            _ => $"{years}y",
        };
    }
}
