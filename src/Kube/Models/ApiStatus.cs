namespace IstioPodNetwork.Kube.Models;

/// <summary>The Status the API server answers an error with (and sends in a watch's ERROR event).</summary>
public sealed class ApiStatus
{
    public int? Code { get; init; }

    public string? Reason { get; init; }

    public string? Message { get; init; }
}
