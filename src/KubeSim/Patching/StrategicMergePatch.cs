using System.Text.Json.Nodes;
using IstioPodNetwork.KubeSim.Store;

namespace IstioPodNetwork.KubeSim.Patching;

/// <summary>
/// Strategic merge patch as apimachinery's strategicpatch applies it to built-in kinds: lists merge by their
/// patchMergeKey, and the directives $patch (replace, delete, merge), $setElementOrder/&lt;field&gt;,
/// $deleteFromPrimitiveList/&lt;field&gt; and $retainKeys are obeyed and never stored.
/// </summary>
internal static class StrategicMergePatch
{
    private const string PatchDirective = "$patch";
    private const string RetainKeysDirective = "$retainKeys";
    private const string SetElementOrderPrefix = "$setElementOrder/";
    private const string DeleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/";

    public static JsonObject Apply(JsonObject original, JsonNode? patch, PatchSchema schema) =>
        patch is JsonObject patchObject
            ? MergeMap(original, patchObject, schema)
            : throw ApiException.BadRequest("the strategic merge patch is not a JSON object");

    private static JsonObject MergeMap(JsonObject original, JsonObject patch, PatchSchema schema)
    {
        switch (patch[PatchDirective]?.Text())
        {
            case "replace":
                return MergeMap(new JsonObject(), Without(patch, PatchDirective), schema);
            case "delete":
                return new JsonObject();
            case null or "merge":
                break;
            case var other:
                throw ApiException.BadRequest($"Unknown patch type: {other} in map: {patch.ToJsonString()}");
        }

        if (patch[RetainKeysDirective] is JsonArray retain)
        {
            var keep = retain.Select(k => k.Text()).ToHashSet(StringComparer.Ordinal);
            foreach (var key in original.Select(kv => kv.Key).Where(k => !keep.Contains(k)).ToList())
            {
                original.Remove(key);
            }
        }

        var orders = new List<(string Field, JsonArray Order)>();
        foreach (var (key, value) in patch)
        {
            if (key is PatchDirective or RetainKeysDirective)
            {
                continue;
            }

            if (key.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal))
            {
                orders.Add((key[SetElementOrderPrefix.Length..], value as JsonArray ?? []));
            }
            else if (key.StartsWith(DeleteFromPrimitiveListPrefix, StringComparison.Ordinal))
            {
                DeleteFromList(original, key[DeleteFromPrimitiveListPrefix.Length..], value as JsonArray ?? []);
            }
            else if (value is null)
            {
                original.Remove(key);
            }
            else
            {
                var field = schema.Field(key);
                var current = original[key];
                var merged = (current, value) switch
                {
                    (JsonObject c, JsonObject p) => MergeMap(c, p, field),
                    (_, JsonObject p) => MergeMap(new JsonObject(), p, field),
                    (JsonArray c, JsonArray p) => MergeList(c, p, field),
                    (_, JsonArray p) => MergeList([], p, field),
                    _ => value.DeepClone(),
                };
                if (!ReferenceEquals(merged, current))
                {
                    // Assigning in place keeps the object's key order, as the real server's output does.
                    original[key] = merged;
                }
            }
        }

        foreach (var (field, order) in orders)
        {
            if (original[field] is JsonArray list)
            {
                var mergeKey = schema.Field(field).MergeKey;
                original[field] = Reorder(list, order, mergeKey);
            }
        }

        return original;
    }

    private static JsonArray MergeList(JsonArray original, JsonArray patch, PatchSchema schema)
    {
        if (schema.Strategy == ListStrategy.Replace)
        {
            return new JsonArray([.. patch.Select(item => item is JsonObject o ? MergeMap(new JsonObject(), o, schema.Items) : item?.DeepClone())]);
        }

        if (patch.Any(item => item is JsonObject o && o[PatchDirective]?.Text() == "replace"))
        {
            var replaced = patch.Where(item => !(item is JsonObject o && o[PatchDirective]?.Text() == "replace"));
            return MergeList([], new JsonArray([.. replaced.Select(i => i?.DeepClone())]), schema);
        }

        var result = original.Select(i => i?.DeepClone()).ToList();
        if (schema.Strategy == ListStrategy.MergeScalars)
        {
            foreach (var item in patch)
            {
                if (!result.Any(existing => JsonNode.DeepEquals(existing, item)))
                {
                    result.Add(item?.DeepClone());
                }
            }

            return new JsonArray([.. result]);
        }

        var key = schema.MergeKey!;
        foreach (var item in patch)
        {
            if (item is not JsonObject element)
            {
                result.Add(item?.DeepClone());
                continue;
            }

            var keyValue = element[key];
            var at = result.FindIndex(existing => existing is JsonObject e && JsonNode.DeepEquals(e[key], keyValue));
            if (element[PatchDirective]?.Text() == "delete")
            {
                result.RemoveAll(existing => existing is JsonObject e && JsonNode.DeepEquals(e[key], keyValue));
            }
            else if (at >= 0)
            {
                result[at] = MergeMap((JsonObject)result[at]!, element, schema.Items);
            }
            else
            {
                result.Add(MergeMap(new JsonObject(), element, schema.Items));
            }
        }

        return new JsonArray([.. result]);
    }

    /// <summary>
    /// $setElementOrder: the listed elements take the positions listed elements hold, in the listed order;
    /// elements only the server has keep their places.
    /// </summary>
    private static JsonArray Reorder(JsonArray list, JsonArray order, string? mergeKey)
    {
        JsonNode? KeyOf(JsonNode? item) => mergeKey is null ? item : item?[mergeKey];
        var wanted = order.Select(KeyOf).ToList();
        int Rank(JsonNode? item) => wanted.FindIndex(w => JsonNode.DeepEquals(w, KeyOf(item)));
        var ordered = new Queue<JsonNode?>(list.Where(i => Rank(i) >= 0).OrderBy(Rank).Select(i => i?.DeepClone()));
        return new JsonArray([.. list.Select(item => Rank(item) >= 0 ? ordered.Dequeue() : item?.DeepClone())]);
    }

    private static void DeleteFromList(JsonObject original, string field, JsonArray values)
    {
        if (original[field] is JsonArray list)
        {
            var kept = list.Where(item => !values.Any(v => JsonNode.DeepEquals(v, item))).Select(i => i?.DeepClone());
            original[field] = new JsonArray([.. kept]);
        }
    }

    private static JsonObject Without(JsonObject patch, string key)
    {
        var copy = (JsonObject)patch.DeepClone();
        copy.Remove(key);
        return copy;
    }
}
