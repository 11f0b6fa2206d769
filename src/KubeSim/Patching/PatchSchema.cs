namespace IstioPodNetwork.KubeSim.Patching;

/// <summary>How a strategic merge patch treats a list (the patchStrategy tag of k8s.io/api).</summary>
internal enum ListStrategy
{
    /// <summary>No patchStrategy: the patch's list replaces the live one.</summary>
    Replace,

    /// <summary>patchStrategy:"merge" with a patchMergeKey: elements are matched by that key.</summary>
    MergeByKey,

    /// <summary>patchStrategy:"merge" on a list of scalars: a set union.</summary>
    MergeScalars,
}

/// <summary>
/// The strategic-merge shape of one JSON value: for an object, its known fields; for a list, its
/// strategy, merge key and element shape. Anything not described merges as a map or replaces as a list,
/// which is what the real server does for fields without patch tags.
/// </summary>
internal sealed class PatchSchema
{
    public static readonly PatchSchema Opaque = new();

    private readonly Dictionary<string, PatchSchema> fields = new(StringComparer.Ordinal);

    public ListStrategy Strategy { get; private init; }

    public string? MergeKey { get; private init; }

    /// <summary>The shape of a list's elements.</summary>
    public PatchSchema Items { get; private init; } = Opaque;

    /// <summary>patchStrategy includes retainKeys: a patch's $retainKeys clears the other fields.</summary>
    public bool RetainKeys { get; private init; }

    public PatchSchema Field(string name) => fields.TryGetValue(name, out var schema) ? schema : Opaque;

    public static PatchSchema Object(params (string Name, PatchSchema Schema)[] fields) => Object(false, fields);

    public static PatchSchema Object(bool retainKeys, params (string Name, PatchSchema Schema)[] fields)
    {
        var schema = new PatchSchema { RetainKeys = retainKeys };
        foreach (var (name, value) in fields)
        {
            schema.fields[name] = value;
        }

        return schema;
    }

    public static PatchSchema MergeList(string key, PatchSchema? items = null, bool retainKeys = false) =>
        new() { Strategy = ListStrategy.MergeByKey, MergeKey = key, Items = items ?? Opaque, RetainKeys = retainKeys };

    public static PatchSchema ScalarSet() => new() { Strategy = ListStrategy.MergeScalars };
}
