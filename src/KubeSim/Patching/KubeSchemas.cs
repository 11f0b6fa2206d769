using static IstioPodNetwork.KubeSim.Patching.PatchSchema;

namespace IstioPodNetwork.KubeSim.Patching;

/// <summary>The strategic-merge shapes of the served kinds, from the patchStrategy/patchMergeKey tags of k8s.io/api v0.32.</summary>
internal static class KubeSchemas
{
    public static readonly PatchSchema ObjectMeta = Object(
        ("ownerReferences", MergeList("uid")),
        ("finalizers", ScalarSet()));

    public static readonly PatchSchema Container = Object(
        ("ports", MergeList("containerPort")),
        ("env", MergeList("name")),
        ("volumeMounts", MergeList("mountPath")),
        ("volumeDevices", MergeList("devicePath")));

    public static readonly PatchSchema PodSpec = Object(
        ("containers", MergeList("name", Container)),
        ("initContainers", MergeList("name", Container)),
        ("ephemeralContainers", MergeList("name", Container)),
        ("volumes", MergeList("name", Object(retainKeys: true), retainKeys: true)),
        ("imagePullSecrets", MergeList("name")),
        ("hostAliases", MergeList("ip")),
        ("topologySpreadConstraints", MergeList("topologyKey")),
        ("resourceClaims", MergeList("name", Object(retainKeys: true), retainKeys: true)),
        ("schedulingGates", MergeList("name")));

    public static readonly PatchSchema PodStatus = Object(
        ("conditions", MergeList("type")),
        ("podIPs", MergeList("ip")),
        ("hostIPs", MergeList("ip")),
        ("resourceClaimStatuses", MergeList("name", Object(retainKeys: true), retainKeys: true)));

    public static readonly PatchSchema Pod = Object(("metadata", ObjectMeta), ("spec", PodSpec), ("status", PodStatus));

    public static readonly PatchSchema PodTemplate = Object(("metadata", ObjectMeta), ("spec", PodSpec));

    private static readonly PatchSchema WorkloadStatus = Object(("conditions", MergeList("type")));

    public static readonly PatchSchema Deployment = Object(
        ("metadata", ObjectMeta),
        ("spec", Object(("template", PodTemplate), ("strategy", Object(retainKeys: true)))),
        ("status", WorkloadStatus));

    public static readonly PatchSchema ReplicaSetOrDaemonSet = Object(
        ("metadata", ObjectMeta),
        ("spec", Object(("template", PodTemplate))),
        ("status", WorkloadStatus));

    public static readonly PatchSchema Service = Object(
        ("metadata", ObjectMeta),
        ("spec", Object(("ports", MergeList("port")))),
        ("status", Object(("conditions", MergeList("type")))));

    public static readonly PatchSchema Node = Object(
        ("metadata", ObjectMeta),
        ("spec", Object(("podCIDRs", ScalarSet()))),
        ("status", Object(("conditions", MergeList("type")), ("addresses", MergeList("type")))));

    public static readonly PatchSchema Namespace = Object(
        ("metadata", ObjectMeta),
        ("status", Object(("conditions", MergeList("type")))));

    public static readonly PatchSchema ServiceAccount = Object(
        ("metadata", ObjectMeta),
        ("secrets", MergeList("name")));

    public static readonly PatchSchema MetadataOnly = Object(("metadata", ObjectMeta));
}
