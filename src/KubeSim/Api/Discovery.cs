using System.Security.Cryptography;
using System.Text.Json.Nodes;
using IstioPodNetwork.KubeSim.Store;

namespace IstioPodNetwork.KubeSim.Api;

/// <summary>
/// Legacy discovery (which every kubectl from 1.27 to 1.33 falls back to), /version, and the small
/// /openapi/v3 documents that let a default `kubectl apply` hand validation to the server.
/// </summary>
internal static class Discovery
{
    private static readonly string[] PatchParameters = ["dryRun", "fieldManager", "fieldValidation", "force"];

    private static readonly string[] Verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    private static readonly Dictionary<string, (byte[] Document, string Hash)> OpenApiDocuments =
        ResourceCatalog.GroupVersions.ToDictionary(g => OpenApiKey(g.Key), g => WithHash(OpenApiDocument(g.Key, g)));

    /// <summary>Minor "32" makes Google's kubectl-dispatcher run its built-in kubectl 1.32.</summary>
    public static JsonObject Version() => new()
    {
        ["major"] = "1",
        ["minor"] = "32",
        ["gitVersion"] = "v1.32.4-kubesim",
        ["gitCommit"] = "0000000000000000000000000000000000000000",
        ["gitTreeState"] = "clean",
        ["buildDate"] = "2025-04-22T16:00:00Z",
        ["goVersion"] = "go1.23.6",
        ["compiler"] = "gc",
        ["platform"] = "linux/amd64",
    };

    public static JsonObject CoreVersions(string serverAddress) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress }),
    };

    public static JsonObject Groups() => new()
    {
        ["kind"] = "APIGroupList",
        ["apiVersion"] = "v1",
        ["groups"] = Json.Array(NamedGroups().Select(g => (JsonNode)Group(g))),
    };

    public static JsonObject? FindGroup(string name) => NamedGroups().Contains(name) ? Group(name) : null;

    public static JsonObject? ResourceList(string group, string version)
    {
        var types = ResourceCatalog.All.Where(t => t.Group == group && t.Version == version).ToList();
        if (types.Count == 0)
        {
            return null;
        }

        var resources = new JsonArray();
        foreach (var type in types)
        {
            var resource = new JsonObject
            {
                ["name"] = type.Plural,
                ["singularName"] = type.Singular,
                ["namespaced"] = type.Namespaced,
                ["kind"] = type.Kind,
                ["verbs"] = Json.Array(Verbs.Select(v => (JsonNode)v)),
            };
            if (type.ShortNames.Length > 0)
            {
                resource["shortNames"] = Json.Array(type.ShortNames.Select(s => (JsonNode)s));
            }

            if (type.Categories.Length > 0)
            {
                resource["categories"] = Json.Array(type.Categories.Select(s => (JsonNode)s));
            }

            resources.Add(resource);
            if (type.HasStatus)
            {
                resources.Add(Subresource(type, "status", ["get", "patch", "update"]));
            }

            if (type == ResourceCatalog.Namespaces)
            {
                resources.Add(Subresource(type, "finalize", ["update"]));
            }

            if (ScaleSubresource.Scales(type))
            {
                var scale = Subresource(type, "scale", ["get", "patch", "update"]);
                scale["group"] = "autoscaling";
                scale["version"] = "v1";
                scale["kind"] = "Scale";
                resources.Add(scale);
            }
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = resources,
        };
    }

    public static JsonObject OpenApiRoot() => new()
    {
        ["paths"] = new JsonObject(OpenApiDocuments.Select(kv =>
            KeyValuePair.Create(kv.Key, (JsonNode?)new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{kv.Key}?hash={kv.Value.Hash}" }))),
    };

    /// <summary>The stub for one group-version ("api/v1", "apis/apps/v1"), or null.</summary>
    public static byte[]? OpenApiGroupVersion(string key) => OpenApiDocuments.TryGetValue(key, out var doc) ? doc.Document : null;

    private static IEnumerable<string> NamedGroups() =>
        ResourceCatalog.All.Select(t => t.Group).Where(g => g.Length > 0).Distinct();

    private static JsonObject Group(string name)
    {
        var version = ResourceCatalog.All.First(t => t.Group == name).Version;
        var groupVersion = new JsonObject { ["groupVersion"] = $"{name}/{version}", ["version"] = version };
        return new JsonObject
        {
            ["kind"] = "APIGroup",
            ["apiVersion"] = "v1",
            ["name"] = name,
            ["versions"] = new JsonArray(groupVersion),
            ["preferredVersion"] = groupVersion.DeepClone(),
        };
    }

    private static JsonObject Subresource(ResourceType type, string name, string[] verbs) => new()
    {
        ["name"] = $"{type.Plural}/{name}",
        ["singularName"] = "",
        ["namespaced"] = type.Namespaced,
        ["kind"] = type.Kind,
        ["verbs"] = Json.Array(verbs.Select(v => (JsonNode)v)),
    };

    private static string OpenApiKey(string groupVersion) => groupVersion.Contains('/') ? $"apis/{groupVersion}" : $"api/{groupVersion}";

    /// <summary>
    /// Only what kubectl's query-param verifier reads: each kind's PATCH operation with its GVK and the
    /// fieldValidation parameter. Strategic merge is not listed, so kubectl computes it from its built-in types.
    /// </summary>
    private static JsonObject OpenApiDocument(string groupVersion, IEnumerable<ResourceType> types)
    {
        var paths = new JsonObject();
        foreach (var type in types)
        {
            var prefix = "/" + OpenApiKey(groupVersion);
            var path = type.Namespaced ? $"{prefix}/namespaces/{{namespace}}/{type.Plural}/{{name}}" : $"{prefix}/{type.Plural}/{{name}}";
            paths[path] = new JsonObject
            {
                ["patch"] = new JsonObject
                {
                    ["operationId"] = $"patch{type.Kind}",
                    ["x-kubernetes-action"] = "patch",
                    ["x-kubernetes-group-version-kind"] = new JsonObject { ["group"] = type.Group, ["version"] = type.Version, ["kind"] = type.Kind },
                    ["parameters"] = Json.Array(PatchParameters
                        .Select(p => (JsonNode)new JsonObject { ["name"] = p, ["in"] = "query", ["schema"] = new JsonObject { ["type"] = p == "force" ? "boolean" : "string" } })),
                    ["requestBody"] = new JsonObject
                    {
                        ["content"] = new JsonObject
                        {
                            [PatchTypes.Json] = new JsonObject(),
                            [PatchTypes.Merge] = new JsonObject(),
                            [PatchTypes.Apply] = new JsonObject(),
                        },
                        ["required"] = true,
                    },
                    ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
                },
            };
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.32.4-kubesim" },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = new JsonObject() },
        };
    }

    private static (byte[] Document, string Hash) WithHash(JsonObject document)
    {
        var bytes = document.Bytes();
        return (bytes, Convert.ToHexString(SHA256.HashData(bytes)));
    }
}
