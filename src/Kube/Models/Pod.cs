using System.Text.Json;
using k8s;
using k8s.Models;

namespace IstioPodNetwork.Kube.Models;

/// <summary>A pod, as far as the agent reads one: who it is, where it runs, what decides its capture, how it is doing.</summary>
public sealed class Pod : IKubeObject
{
    public ObjectMeta Metadata { get; init; } = new();

    public PodSpec? Spec { get; init; }

    public PodStatus? Status { get; init; }

    /// <summary>The same pod read from KubernetesClient's model of it (e.g. a manifest read with KubernetesYaml), through its JSON.</summary>
    public static Pod From(V1Pod pod) =>
        JsonSerializer.Deserialize(KubernetesJson.Serialize(pod), KubeJson.Default.Pod) ?? throw new JsonException("a pod that serialized to null");
}

public sealed class PodList : IKubeList<Pod>
{
    public ListMeta Metadata { get; init; } = new();

    public IReadOnlyList<Pod> Items { get; init; } = [];
}

public sealed class PodSpec
{
    public string? NodeName { get; init; }

    public bool? HostNetwork { get; init; }

    public SecurityContext? SecurityContext { get; init; }

    public IReadOnlyList<Container>? Containers { get; init; }
}

public sealed class Container
{
    public string? Name { get; init; }

    public IReadOnlyList<ContainerPort>? Ports { get; init; }

    public SecurityContext? SecurityContext { get; init; }

    public IReadOnlyList<EnvVar>? Env { get; init; }
}

/// <summary>A container's port (the API's ContainerPort; its number is <see cref="Number"/> here).</summary>
public sealed class ContainerPort
{
    public string? Name { get; init; }

    [System.Text.Json.Serialization.JsonPropertyName("containerPort")]
    public int Number { get; init; }

    public string? Protocol { get; init; }
}

/// <summary>The user and group a container runs as (a pod's defaults, or one container's).</summary>
public sealed class SecurityContext
{
    public long? RunAsUser { get; init; }

    public long? RunAsGroup { get; init; }
}

public sealed class EnvVar
{
    public string? Name { get; init; }

    public string? Value { get; init; }
}

public sealed class PodStatus
{
    public string? Phase { get; init; }

    public string? PodIP { get; init; }

    public IReadOnlyList<PodAddress>? PodIPs { get; init; }

    public IReadOnlyList<PodCondition>? Conditions { get; init; }
}

/// <summary>One of a pod's IPs (status.podIPs).</summary>
public sealed class PodAddress
{
    public string? Ip { get; init; }
}

public sealed class PodCondition
{
    public string? Type { get; init; }

    public string? Status { get; init; }

    public string? Reason { get; init; }

    public string? Message { get; init; }
}
