using System.Text.Json.Nodes;

namespace IstioPodNetwork.KubeSim.Patching;

/// <summary>RFC 7386 JSON merge patch: objects merge, null deletes a key, anything else replaces.</summary>
internal static class MergePatch
{
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target as JsonObject ?? new JsonObject();
        foreach (var (key, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(key);
            }
            else
            {
                result[key] = Apply(result[key]?.DeepClone(), value);
            }
        }

        return result;
    }
}
