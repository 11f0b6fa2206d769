using System.Globalization;
using System.Text.Json.Nodes;
using IstioPodNetwork.KubeSim.Store;

namespace IstioPodNetwork.KubeSim.Patching;

/// <summary>RFC 6902 JSON patch. A malformed document is 400; an operation that cannot apply is 422.</summary>
internal static class JsonPatch
{
    public static JsonObject Apply(JsonObject target, JsonNode? patch)
    {
        if (patch is not JsonArray operations)
        {
            throw ApiException.BadRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
        }

        JsonNode root = target;
        foreach (var operation in operations)
        {
            var op = operation.Str("op") ?? throw ApiException.BadRequest("missing 'op' in JSON patch operation");
            var path = operation.Str("path") ?? throw ApiException.BadRequest($"missing 'path' in JSON patch operation {op}");
            switch (op)
            {
                case "add":
                    Add(root, path, Value(operation, op));
                    break;
                case "remove":
                    Remove(root, path);
                    break;
                case "replace":
                    Remove(root, path);
                    Add(root, path, Value(operation, op));
                    break;
                case "move":
                    var moved = Remove(root, From(operation, op));
                    Add(root, path, moved);
                    break;
                case "copy":
                    Add(root, path, Get(root, From(operation, op))?.DeepClone());
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Get(root, path), operation!["value"]))
                    {
                        throw ApiException.UnprocessablePatch($"the server rejected our request due to an error in our request: testing value {path} failed");
                    }

                    break;
                default:
                    throw ApiException.BadRequest($"Unexpected kind: {op}");
            }
        }

        return root as JsonObject ?? throw ApiException.UnprocessablePatch("the patch replaced the object with a non-object");
    }

    private static JsonNode? Value(JsonNode? operation, string op) =>
        operation is JsonObject o && o.TryGetPropertyValue("value", out var value)
            ? value?.DeepClone()
            : throw ApiException.BadRequest($"missing value in JSON patch operation {op}");

    private static string From(JsonNode? operation, string op) =>
        operation.Str("from") ?? throw ApiException.BadRequest($"missing 'from' in JSON patch operation {op}");

    private static (JsonNode Parent, string Token) Parent(JsonNode root, string path)
    {
        var tokens = Tokens(path);
        if (tokens.Count == 0)
        {
            throw ApiException.UnprocessablePatch("the server rejected our request: cannot operate on the whole document");
        }

        var parent = Walk(root, tokens.Take(tokens.Count - 1), path);
        return (parent, tokens[^1]);
    }

    private static JsonNode? Get(JsonNode root, string path) => Walk(root, Tokens(path), path);

    private static JsonNode Walk(JsonNode root, IEnumerable<string> tokens, string path)
    {
        var node = root;
        foreach (var token in tokens)
        {
            node = node switch
            {
                JsonObject o when o.TryGetPropertyValue(token, out var child) && child is not null => child,
                JsonArray a when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count && a[i] is { } item => item,
                _ => throw Missing(path),
            };
        }

        return node;
    }

    private static void Add(JsonNode root, string path, JsonNode? value)
    {
        var (parent, token) = Parent(root, path);
        switch (parent)
        {
            case JsonObject o:
                o[token] = value;
                break;
            case JsonArray a when token == "-":
                a.Add(value);
                break;
            case JsonArray a when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i <= a.Count:
                a.Insert(i, value);
                break;
            default:
                throw Missing(path);
        }
    }

    private static JsonNode? Remove(JsonNode root, string path)
    {
        var (parent, token) = Parent(root, path);
        switch (parent)
        {
            case JsonObject o when o.TryGetPropertyValue(token, out var existing):
                o.Remove(token);
                return existing;
            case JsonArray a when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count:
                var item = a[i];
                a.RemoveAt(i);
                return item;
            default:
                throw Missing(path);
        }
    }

    private static ApiException Missing(string path) =>
        ApiException.UnprocessablePatch($"the server rejected our request due to an error in our request: doc is missing path: \"{path}\"");

    private static List<string> Tokens(string path)
    {
        if (path.Length == 0)
        {
            return [];
        }

        if (path[0] != '/')
        {
            throw ApiException.BadRequest($"JSON pointer \"{path}\" must start with '/'");
        }

        return [.. path[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal))];
    }
}
