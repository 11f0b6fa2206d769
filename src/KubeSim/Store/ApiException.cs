using System.Text.Json.Nodes;

namespace IstioPodNetwork.KubeSim.Store;

/// <summary>One invalid field of a 422 Invalid answer (a metav1.StatusCause).</summary>
internal sealed record FieldCause(string Reason, string Field, string Message)
{
    public static FieldCause Required(string field) => new("FieldValueRequired", field, "Required value");

    public static FieldCause Invalid(string field, string value, string detail) =>
        new("FieldValueInvalid", field, $"Invalid value: \"{value}\": {detail}");

    public override string ToString() => $"{Field}: {Message}";
}

/// <summary>
/// An API failure, answered as a Status object shaped exactly as the real server's
/// (apimachinery/pkg/api/errors): kind, apiVersion, metadata, status, message, reason, details, code.
/// </summary>
internal sealed class ApiException(int code, string reason, string message, JsonObject? details = null)
    : Exception(message)
{
    public int Code { get; } = code;

    public string Reason { get; } = reason;

    /// <summary>Seconds the client should wait before retrying (429 and 503 carry Retry-After).</summary>
    public int? RetryAfterSeconds { get; init; }

    public JsonObject ToStatus()
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = Message,
            ["reason"] = Reason,
        };
        if (details is not null)
        {
            status["details"] = details.DeepClone();
        }

        status["code"] = Code;
        return status;
    }

    public static ApiException NotFound(ResourceType type, string name) =>
        new(404, "NotFound", $"{type.GroupResource} \"{name}\" not found", Details(type, name));

    public static ApiException NamespaceNotFound(string ns) =>
        new(404, "NotFound", $"namespaces \"{ns}\" not found", Details(ResourceCatalog.Namespaces, ns));

    public static ApiException PathNotFound() =>
        new(404, "NotFound", "the server could not find the requested resource", new JsonObject());

    public static ApiException AlreadyExists(ResourceType type, string name) =>
        new(409, "AlreadyExists", $"{type.GroupResource} \"{name}\" already exists", Details(type, name));

    public static ApiException Conflict(ResourceType type, string name, string why = "the object has been modified; please apply your changes to the latest version and try again") =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {type.GroupResource} \"{name}\": {why}", Details(type, name));

    public static ApiException Invalid(ResourceType type, string name, IReadOnlyList<FieldCause> causes)
    {
        var details = new JsonObject { ["name"] = name };
        if (type.Group.Length > 0)
        {
            details["group"] = type.Group;
        }

        details["kind"] = type.Kind;
        details["causes"] = new JsonArray([.. causes.Select(c => (JsonNode)new JsonObject
        {
            ["reason"] = c.Reason,
            ["message"] = c.Message,
            ["field"] = c.Field,
        })]);
        var summary = causes.Count == 1 ? causes[0].ToString() : $"[{string.Join(", ", causes)}]";
        return new ApiException(422, "Invalid", $"{type.Kind} \"{name}\" is invalid: {summary}", details);
    }

    public static ApiException BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiException Unauthorized() => new(401, "Unauthorized", "Unauthorized");

    public static ApiException Forbidden(ResourceType type, string name, string why) =>
        new(403, "Forbidden", $"{type.GroupResource} \"{name}\" is forbidden: {why}", Details(type, name));

    /// <summary>What kube-apiserver's RBAC answers a request no role of the user allows.</summary>
    /// <param name="resource">As RBAC names it: "pods", or with its subresource "pods/status".</param>
    public static ApiException NotAllowed(ResourceType type, string resource, string verb, string? ns, string? name, string user)
    {
        var what = name is null ? type.GroupResource : $"{type.GroupResource} \"{name}\"";
        var scope = ns is null ? "at the cluster scope" : $"in the namespace \"{ns}\"";
        return new(403, "Forbidden", $"{what} is forbidden: User \"{user}\" cannot {verb} resource \"{resource}\" in API group \"{type.Group}\" {scope}", Details(type, name ?? string.Empty));
    }

    public static ApiException Expired(string message) => new(410, "Expired", message);

    public static ApiException MethodNotAllowed() =>
        new(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", new JsonObject());

    public static ApiException UnsupportedMediaType(string contentType, IEnumerable<string> accepted) =>
        new(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: {string.Join(", ", accepted)}");

    public static ApiException UnprocessablePatch(string message) => new(422, "Invalid", message);

    /// <summary>What a fault injection answers with: the Status the real server sends for that code.</summary>
    public static ApiException Injected(int code) => code switch
    {
        429 => new ApiException(429, "TooManyRequests", "Too many requests, please try again later.", new JsonObject { ["retryAfterSeconds"] = 1 }) { RetryAfterSeconds = 1 },
        500 => new ApiException(500, "InternalError", "Internal error occurred: injected by kubesim", new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["message"] = "injected by kubesim" }) }),
        503 => new ApiException(503, "ServiceUnavailable", "The server is currently unable to handle the request (injected by kubesim)") { RetryAfterSeconds = 1 },
        504 => new ApiException(504, "Timeout", "The server was unable to return a response in the time allotted (injected by kubesim)"),
        409 => new ApiException(409, "Conflict", "Operation cannot be fulfilled: injected by kubesim"),
        _ => new ApiException(code, "InternalError", $"injected by kubesim (HTTP {code})"),
    };

    private static JsonObject Details(ResourceType type, string name)
    {
        var details = new JsonObject { ["name"] = name };
        if (type.Group.Length > 0)
        {
            details["group"] = type.Group;
        }

        details["kind"] = type.Plural;
        return details;
    }
}
