using Microsoft.AspNetCore.Http;

namespace IstioPodNetwork.KubeSim.Api;

/// <summary>
/// A request's path taken apart once: its segments, the resource it targets (null for discovery,
/// /version and other URLs naming none) and its verb as the real API server names it.
/// </summary>
internal sealed record ApiRequest(string[] Segments, RequestTarget? Target, string Verb)
{
    public ApiRequestKind Kind => new(Verb, Target?.Resource);

    public static ApiRequest Parse(HttpRequest request)
    {
        var segments = (request.Path.Value ?? "/").Split('/', StringSplitOptions.RemoveEmptyEntries);
        var target = segments switch
        {
            ["api", var version, .. var rest] => RequestTarget.Parse(string.Empty, version, rest),
            ["apis", var group, var version, .. var rest] => RequestTarget.Parse(group, version, rest),
            _ => null,
        };
        return new ApiRequest(segments, target, target is null ? request.Method.ToLowerInvariant() : VerbOf(request, target));
    }

    public static bool IsTrue(string? value) => value is "true" or "1" or "True";

    private static string VerbOf(HttpRequest request, RequestTarget target) => request.Method switch
    {
        "GET" when target.WatchPrefix || IsTrue(request.Query["watch"]) => "watch",
        "GET" when target.Name is null => "list",
        "GET" => "get",
        "POST" => "create",
        "PUT" => "update",
        "PATCH" => "patch",
        "DELETE" when target.Name is null => "deletecollection",
        "DELETE" => "delete",
        _ => request.Method.ToLowerInvariant(),
    };
}
