namespace IstioPodNetwork.Actors.Pods;

/// <summary>Where a pod is on its way to initialized. A <see cref="PodActor"/>'s FSM state.</summary>
public enum PodState
{
    Pending,
    LocatingNetns,
    Programming,
    Verifying,
    Annotating,
    Initialized,

    /// <summary>The pod opted out while running: our rules and marks are being removed.</summary>
    Removing,
    Failed,
}
