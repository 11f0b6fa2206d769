namespace IstioPodNetwork.Kube.Models;

/// <summary>A core/v1 Event about a pod, as `kubectl describe pod` shows it.</summary>
public sealed class KubeEvent
{
    public string ApiVersion { get; } = "v1";

    public string Kind { get; } = "Event";

    public ObjectMeta Metadata { get; init; } = new();

    public ObjectReference? InvolvedObject { get; init; }

    public string? Reason { get; init; }

    public string? Message { get; init; }

    public string? Type { get; init; }

    public EventSource? Source { get; init; }

    public string? ReportingComponent { get; init; }

    public string? ReportingInstance { get; init; }

    public DateTime? FirstTimestamp { get; init; }

    public DateTime? LastTimestamp { get; init; }

    public int? Count { get; init; }
}

public sealed class ObjectReference
{
    public string? ApiVersion { get; init; }

    public string? Kind { get; init; }

    public string? Namespace { get; init; }

    public string? Name { get; init; }

    public string? Uid { get; init; }
}

public sealed class EventSource
{
    public string? Component { get; init; }

    public string? Host { get; init; }
}
