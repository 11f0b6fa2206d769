using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace IstioPodNetwork.KubeSim.Store;

/// <summary>Small helpers for reading and writing Kubernetes objects held as JSON nodes.</summary>
internal static class Json
{
    public static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    public static JsonNode? At(this JsonNode? node, params string[] path)
    {
        foreach (var step in path)
        {
            if (node is not JsonObject obj || !obj.TryGetPropertyValue(step, out node))
            {
                return null;
            }
        }

        return node;
    }

    public static string? Str(this JsonNode? node, params string[] path) =>
        node.At(path) is JsonValue value && value.TryGetValue<string>(out var s) ? s : null;

    public static long? Long(this JsonNode? node, params string[] path) =>
        node.At(path) is JsonValue value && value.TryGetValue<long>(out var n) ? n : null;

    public static bool? Bool(this JsonNode? node, params string[] path) =>
        node.At(path) is JsonValue value && value.TryGetValue<bool>(out var b) ? b : null;

    /// <summary>The value as a field selector sees it: strings as they are, booleans and numbers as text.</summary>
    public static string? Text(this JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.GetValueKind() is JsonValueKind.True => "true",
        JsonValue v when v.GetValueKind() is JsonValueKind.False => "false",
        JsonValue v => v.ToJsonString(),
        _ => null,
    };

    /// <summary>The object at <paramref name="name"/>, created when absent or not an object.</summary>
    public static JsonObject Obj(this JsonObject parent, string name)
    {
        if (parent[name] is JsonObject existing)
        {
            return existing;
        }

        var created = new JsonObject();
        parent[name] = created;
        return created;
    }

    public static JsonObject Metadata(this JsonObject obj) => obj.Obj("metadata");

    public static JsonObject ParseObject(ReadOnlySpan<byte> utf8) =>
        JsonNode.Parse(utf8) as JsonObject ?? throw new JsonException("expected a JSON object");

    public static byte[] Bytes(this JsonNode node) => JsonSerializer.SerializeToUtf8Bytes(node, Compact);

    public static JsonArray Array(IEnumerable<JsonNode?> items) => new([.. items]);

    /// <summary>RFC 3339 with second precision, as the API server writes metav1.Time.</summary>
    public static string Timestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static DateTimeOffset? ParseTimestamp(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    /// <summary>Drops null-valued properties at every depth, as decoding into the API's Go types does.</summary>
    public static void StripNulls(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Where(kv => kv.Value is null).Select(kv => kv.Key).ToList())
                {
                    obj.Remove(key);
                }

                foreach (var (_, value) in obj)
                {
                    StripNulls(value);
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    StripNulls(item);
                }

                break;
        }
    }
}
