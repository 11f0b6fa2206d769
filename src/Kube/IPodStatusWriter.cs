namespace IstioPodNetwork.Kube;

/// <summary>The marks the agent leaves on a pod; <see cref="PodStatusWriter"/> writes them through the API.</summary>
public interface IPodStatusWriter
{
    Task<PodWriteOutcome> MarkInitializedAsync(PodRef pod, string message, CancellationToken cancellation);

    Task<PodWriteOutcome> MarkFailedAsync(PodRef pod, string reason, string message, CancellationToken cancellation);

    Task<PodWriteOutcome> ClearAsync(PodRef pod, string message, CancellationToken cancellation);
}
