namespace IstioPodNetwork.Kube.Models;

/// <summary>The agents' DaemonSet: how many agents it wants running, once its status speaks for its current spec.</summary>
public sealed class DaemonSet
{
    public ObjectMeta Metadata { get; init; } = new();

    public DaemonSetStatus? Status { get; init; }
}

public sealed class DaemonSetStatus
{
    public long? ObservedGeneration { get; init; }

    public int DesiredNumberScheduled { get; init; }
}
