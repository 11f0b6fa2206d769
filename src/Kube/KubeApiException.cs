using System.Net;

namespace IstioPodNetwork.Kube;

/// <summary>
/// The API server refused a call (an error status), or ended a watch with an ERROR event (a Status in the stream):
/// its code and what the server said. The message names the call, e.g. "GET /api/v1/pods: HTTP 401 Unauthorized".
/// </summary>
public sealed class KubeApiException : Exception
{
    public KubeApiException()
    {
    }

    public KubeApiException(string message)
        : base(message)
    {
        Description = message;
    }

    public KubeApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Description = message;
    }

    public KubeApiException(HttpStatusCode statusCode, string description, string? call = null, string? content = null)
        : base(call is null ? description : $"{call}: {description}")
    {
        StatusCode = statusCode;
        Description = description;
        Content = content;
    }

    public HttpStatusCode StatusCode { get; }

    /// <summary>The answer without the call: "HTTP 404 Not Found: pods \"web\" not found", or a watch's "410 Expired: …".</summary>
    public string Description { get; } = string.Empty;

    /// <summary>The answer's body (a Status, as JSON), when it had one.</summary>
    public string? Content { get; }
}
