using System.Globalization;
using System.Text.Json.Nodes;

namespace IstioPodNetwork.KubeSim.Store;

/// <summary>
/// One committed version of an object: immutable, serialized once, with its labels and selectable fields
/// extracted so that lists and watchers can filter without parsing JSON.
/// </summary>
internal sealed class StoredObject
{
    private StoredObject(ResourceType type, string ns, string name, string uid, long resourceVersion, byte[] json, Dictionary<string, string> labels, string[] fields, bool terminating, OwnerReference[] owners)
    {
        Owners = owners;
        Type = type;
        Namespace = ns;
        Name = name;
        Uid = uid;
        ResourceVersion = resourceVersion;
        Json = json;
        Labels = labels;
        Fields = fields;
        Terminating = terminating;
    }

    public ResourceType Type { get; }

    public string Namespace { get; }

    public string Name { get; }

    public string Uid { get; }

    public long ResourceVersion { get; }

    /// <summary>The object as the API serves it (UTF-8 JSON, with its resourceVersion).</summary>
    public byte[] Json { get; }

    public IReadOnlyDictionary<string, string> Labels { get; }

    /// <summary>The values of <see cref="ResourceType.Fields"/>, same order.</summary>
    public string[] Fields { get; }

    /// <summary>metadata.ownerReferences, for the controllers and the garbage collector.</summary>
    public IReadOnlyList<OwnerReference> Owners { get; }

    /// <summary>The owner with controller: true, if any.</summary>
    public OwnerReference? Controller => Owners.FirstOrDefault(o => o.Controller);

    /// <summary>metadata.deletionTimestamp is set.</summary>
    public bool Terminating { get; }

    public string Key => KeyOf(Namespace, Name);

    public static string KeyOf(string? ns, string name) => string.IsNullOrEmpty(ns) ? name : ns + "/" + name;

    /// <summary>A private, mutable copy of the object.</summary>
    public JsonObject ToNode() => Store.Json.ParseObject(Json);

    /// <summary>Stamps <paramref name="obj"/> with <paramref name="resourceVersion"/> and freezes it.</summary>
    public static StoredObject Create(ResourceType type, JsonObject obj, long resourceVersion)
    {
        var metadata = obj.Metadata();
        metadata["resourceVersion"] = resourceVersion.ToString(CultureInfo.InvariantCulture);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (metadata["labels"] is JsonObject labelMap)
        {
            foreach (var (key, value) in labelMap)
            {
                labels[key] = value.Text() ?? string.Empty;
            }
        }

        var fields = type.Fields.Select(f => obj.At(f.Path).Text() ?? f.Absent).ToArray();
        var owners = (metadata["ownerReferences"] as JsonArray ?? [])
            .Select(o => new OwnerReference(o.Str("kind") ?? string.Empty, o.Str("name") ?? string.Empty, o.Str("uid") ?? string.Empty, o.Bool("controller") == true))
            .ToArray();
        return new StoredObject(
            type,
            metadata.Str("namespace") ?? string.Empty,
            metadata.Str("name") ?? string.Empty,
            metadata.Str("uid") ?? string.Empty,
            resourceVersion,
            obj.Bytes(),
            labels,
            fields,
            metadata["deletionTimestamp"] is not null,
            owners);
    }

    /// <summary>The same object at another resourceVersion (a DELETED event carries the last state at the delete's version).</summary>
    public StoredObject AtVersion(long resourceVersion) =>
        resourceVersion == ResourceVersion ? this : Create(Type, ToNode(), resourceVersion);

    public string? Field(string name) => name switch
    {
        "metadata.name" => Name,
        "metadata.namespace" => Namespace,
        _ => Type.FieldIndex(name) is var i and >= 0 ? Fields[i] : null,
    };
}

/// <summary>One entry of metadata.ownerReferences.</summary>
internal sealed record OwnerReference(string Kind, string Name, string Uid, bool Controller);
