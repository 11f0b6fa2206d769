using IstioPodNetwork.KubeSim.Patching;

namespace IstioPodNetwork.KubeSim.Store;

/// <summary>How the API server checks an object's name (apimachinery's validation helpers).</summary>
internal enum NameRule
{
    /// <summary>RFC 1123 subdomain: most kinds.</summary>
    Subdomain,

    /// <summary>RFC 1123 label: namespaces.</summary>
    Label,

    /// <summary>RFC 1035 label: services.</summary>
    Rfc1035Label,

    /// <summary>Anything that is a valid path segment: RBAC objects ("system:controller:x").</summary>
    PathSegment,
}

/// <summary>
/// One served resource: everything the generic store, discovery, the patcher and the printer need to
/// know about a kind. Adding a kind to KubeSim is adding one of these to <see cref="ResourceCatalog"/>.
/// </summary>
internal sealed record ResourceType
{
    public required string Group { get; init; }

    public required string Version { get; init; }

    public required string Plural { get; init; }

    public required string Kind { get; init; }

    public required bool Namespaced { get; init; }

    public string[] ShortNames { get; init; } = [];

    public string[] Categories { get; init; } = [];

    /// <summary>Field selectors beyond metadata.name and metadata.namespace, each with the JSON path it reads.</summary>
    public FieldSelectorField[] Fields { get; init; } = [];

    /// <summary>The kind has a status subresource: the main resource ignores status changes and /status ignores the rest.</summary>
    public bool HasStatus { get; init; }

    /// <summary>DELETE answers with the object itself instead of a Success Status (pods, service accounts).</summary>
    public bool ReturnsDeletedObject { get; init; }

    /// <summary>metadata.generation is bumped when anything outside metadata and status changes.</summary>
    public bool TracksGeneration { get; init; }

    /// <summary>The server replaces a created object's status (pods start Pending; nodes keep theirs).</summary>
    public bool ResetsStatusOnCreate { get; init; }

    public NameRule NameRule { get; init; } = NameRule.Subdomain;

    /// <summary>Where lists merge by key in a strategic merge patch (the patchMergeKey tags of k8s.io/api).</summary>
    public PatchSchema PatchSchema { get; init; } = PatchSchema.Opaque;

    public TableColumn[] Columns { get; init; } = [];

    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public string GroupVersion => ApiVersion;

    /// <summary>"pods" or "deployments.apps": how messages name the resource.</summary>
    public string GroupResource => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    public string ListKind => Kind + "List";

    public string Singular => Kind.ToLowerInvariant();

    /// <summary>Every supported field selector of this kind, generic ones first.</summary>
    public IEnumerable<string> FieldNames => Fields.Select(f => f.Name);

    public int FieldIndex(string name) => Array.FindIndex(Fields, f => f.Name == name);

    public override string ToString() => GroupResource;
}

/// <summary>A field selector the server supports for a kind, read from the object at <see cref="Path"/>.</summary>
/// <param name="Name">The selector's name, e.g. "spec.nodeName".</param>
/// <param name="Path">Where the value lives in the object.</param>
/// <param name="Absent">The value an absent field has ("" for strings, "false" for booleans).</param>
internal sealed record FieldSelectorField(string Name, string[] Path, string Absent = "");

/// <summary>A column of the server-side Table output (what `kubectl get` prints).</summary>
internal sealed record TableColumn(string Name, string Type, int Priority, Func<System.Text.Json.Nodes.JsonObject, DateTimeOffset, object?> Cell, string Format = "");
