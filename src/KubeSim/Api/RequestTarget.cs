using IstioPodNetwork.KubeSim.Store;

namespace IstioPodNetwork.KubeSim.Api;

/// <summary>A resource URL taken apart: /api/v1/namespaces/{ns}/pods/{name}/status and its relatives.</summary>
internal sealed record RequestTarget(ResourceType Type, string? Namespace, string? Name, string? Subresource, bool WatchPrefix)
{
    /// <summary>The resource as RBAC rules and request counts name it: "pods", or with its subresource "pods/status".</summary>
    public string Resource => Subresource is null ? Type.Plural : $"{Type.Plural}/{Subresource}";

    /// <summary>Parses the segments after /api/v1 or /apis/{group}/{version}; null when no served resource matches.</summary>
    public static RequestTarget? Parse(string group, string version, ReadOnlySpan<string> rest)
    {
        var watchPrefix = rest.Length > 0 && rest[0] == "watch";
        if (watchPrefix)
        {
            rest = rest[1..];
        }

        if (rest.Length == 0)
        {
            return null;
        }

        string? ns = null;
        if (rest[0] == "namespaces" && rest.Length >= 3 && ResourceCatalog.Find(group, version, rest[2]) is { Namespaced: true })
        {
            ns = rest[1];
            rest = rest[2..];
        }

        if (rest.Length > 3 || ResourceCatalog.Find(group, version, rest[0]) is not { } type)
        {
            return null;
        }

        var name = rest.Length > 1 ? rest[1] : null;
        var subresource = rest.Length > 2 ? rest[2] : null;
        if ((type.Namespaced && name is not null && ns is null) || (!type.Namespaced && ns is not null))
        {
            return null;
        }

        var knownSubresource = subresource switch
        {
            null => true,
            "status" => type.HasStatus,
            "finalize" => type == ResourceCatalog.Namespaces,
            "scale" => ScaleSubresource.Scales(type),
            _ => false,
        };
        return knownSubresource ? new RequestTarget(type, ns, name, subresource, watchPrefix) : null;
    }
}
