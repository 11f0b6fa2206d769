using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using IstioPodNetwork.KubeSim.Patching;

namespace IstioPodNetwork.KubeSim.Store;

/// <summary>The patch formats the server accepts (Content-Type without parameters).</summary>
internal static class PatchTypes
{
    public const string Json = "application/json-patch+json";
    public const string Merge = "application/merge-patch+json";
    public const string Strategic = "application/strategic-merge-patch+json";
    public const string Apply = "application/apply-patch+yaml";

    public static readonly string[] All = [Json, Merge, Strategic, Apply];
}

/// <summary>The options of a DELETE (query parameters or a DeleteOptions body).</summary>
internal sealed record DeleteOptions(long? GracePeriodSeconds = null, string? PropagationPolicy = null, string? PreconditionUid = null, string? PreconditionResourceVersion = null)
{
    public static readonly DeleteOptions Default = new();
}

/// <summary>What a DELETE did: the object (last or terminating state), and whether it is gone.</summary>
internal sealed record DeleteOutcome(StoredObject Object, bool Finished);

/// <summary>
/// The verbs with the real server's semantics, over the generic store: create, update, patch and delete
/// with defaulting, validation, optimistic concurrency, status subresources, graceful deletion and
/// no-op detection. The HTTP layer and the simulated controllers both write through here.
/// </summary>
internal sealed class ResourceRegistry(ObjectStore store, KindRules rules)
{
    private const string RandomAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    public ObjectStore Store => store;

    /// <summary>Whether a simulated kubelet serves the node (it then finishes graceful pod deletes).</summary>
    public Func<string, bool> NodeHasKubelet { get; set; } = _ => false;

    public StoredObject Get(ResourceType type, string? ns, string name) =>
        store.Get(type, ns, name) ?? throw ApiException.NotFound(type, name);

    public StoredObject Create(ResourceType type, string? urlNamespace, JsonObject body, bool dryRun = false)
    {
        var obj = (JsonObject)body.DeepClone();
        SetTypeMeta(type, obj);
        var metadata = obj.Metadata();
        var ns = SetNamespace(type, urlNamespace, metadata);
        if (metadata.Str("name") is null or "" && metadata.Str("generateName") is { Length: > 0 } prefix)
        {
            metadata["name"] = prefix + RandomSuffix(5);
        }

        var name = metadata.Str("name") ?? string.Empty;
        ValidateName(type, name);
        if (ns is not null)
        {
            RequireActiveNamespace(type, ns, name);
        }

        metadata.Remove("resourceVersion");
        metadata.Remove("deletionTimestamp");
        metadata.Remove("deletionGracePeriodSeconds");
        metadata.Remove("managedFields");
        metadata["uid"] = Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = Json.Timestamp(DateTimeOffset.UtcNow);
        if (type.TracksGeneration)
        {
            metadata["generation"] = 1;
        }

        Json.StripNulls(obj);
        rules.Default(type, obj, creating: true);
        if (type.ResetsStatusOnCreate)
        {
            obj["status"] = KindRules.InitialStatus(type, obj);
        }

        Validate(type, obj, name);
        return dryRun ? StoredObject.Create(type, obj, store.CurrentVersion) : store.Insert(type, obj);
    }

    /// <summary>PUT: a stale metadata.resourceVersion is 409; an empty one updates unconditionally.</summary>
    public StoredObject Update(ResourceType type, string? ns, string name, JsonObject body, bool statusOnly, bool dryRun = false)
    {
        SetTypeMeta(type, body);
        var bodyName = body.Str("metadata", "name");
        if (bodyName != name)
        {
            throw ApiException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        }

        CheckBodyNamespace(type, ns, body.Metadata());
        var precondition = ParseVersion(body.Str("metadata", "resourceVersion"));
        return GuaranteedUpdate(type, ns, name, _ => (JsonObject)body.DeepClone(), statusOnly, precondition, dryRun);
    }

    /// <summary>PATCH in any of the four formats. Apply creates a missing object (the bool says it did).</summary>
    public (StoredObject Object, bool Created) Patch(ResourceType type, string? ns, string name, string contentType, ReadOnlySpan<byte> body, bool statusOnly, bool dryRun = false)
    {
        var patch = ParsePatch(body);
        if (contentType == PatchTypes.Apply && store.Get(type, ns, name) is null)
        {
            if (patch is not JsonObject applied)
            {
                throw ApiException.BadRequest("an apply patch must be a JSON object");
            }

            var metadata = applied.Metadata();
            metadata["name"] ??= name;
            return (Create(type, ns, applied, dryRun), true);
        }

        var precondition = ParseVersion(patch.Str("metadata", "resourceVersion"));
        var updated = GuaranteedUpdate(
            type,
            ns,
            name,
            current => ApplyPatch(contentType, current.ToNode(), patch, type.PatchSchema),
            statusOnly,
            precondition,
            dryRun);
        return (updated, false);
    }

    /// <summary>Applies a patch of the given media type to <paramref name="target"/>.</summary>
    public static JsonObject ApplyPatch(string contentType, JsonObject target, JsonNode? patch, PatchSchema schema) => contentType switch
    {
        PatchTypes.Merge => MergePatch.Apply(target, patch) as JsonObject ?? throw ApiException.BadRequest("the merge patch replaced the object"),
        PatchTypes.Json => JsonPatch.Apply(target, patch),
        PatchTypes.Strategic => StrategicMergePatch.Apply(target, patch, schema),
        // Server-side apply, approximated: merge with list-merge-by-key, no pruning, no field ownership.
        PatchTypes.Apply => StrategicMergePatch.Apply(target, patch, schema),
        _ => throw ApiException.UnsupportedMediaType(contentType, PatchTypes.All),
    };

    public static JsonNode? ParsePatch(ReadOnlySpan<byte> body)
    {
        try
        {
            return JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"error decoding patch: {e.Message} (KubeSim accepts JSON bodies only, also for apply-patch+yaml)");
        }
    }

    public DeleteOutcome Delete(ResourceType type, string? ns, string name, DeleteOptions options, bool dryRun = false)
    {
        while (true)
        {
            var current = Get(type, ns, name);
            CheckPreconditions(type, current, options);
            var node = current.ToNode();
            if (type == ResourceCatalog.Namespaces && name is "default" or "kube-system" or "kube-public")
            {
                throw ApiException.Forbidden(type, name, "this namespace may not be deleted");
            }

            if (MustWait(type, node, options))
            {
                if (current.Terminating || dryRun)
                {
                    return new DeleteOutcome(current, false);
                }

                MarkTerminating(type, node, options);
                var marked = store.Replace(type, node, current.ResourceVersion, current.Uid);
                if (marked is not null)
                {
                    return new DeleteOutcome(marked, false);
                }

                continue;
            }

            if (dryRun)
            {
                return new DeleteOutcome(current, true);
            }

            if (options.PropagationPolicy == "Orphan")
            {
                OrphanDependents(current);
            }

            var removed = store.Remove(type, ns, name, current.ResourceVersion);
            if (removed is not null)
            {
                return new DeleteOutcome(removed, true);
            }
        }
    }

    /// <summary>
    /// Reads, changes and writes until the write lands on the version it read (apiserver's GuaranteedUpdate).
    /// A caller-given resourceVersion turns a lost race into 409 instead of a retry.
    /// </summary>
    public StoredObject GuaranteedUpdate(ResourceType type, string? ns, string name, Func<StoredObject, JsonObject> change, bool statusOnly, long? precondition = null, bool dryRun = false)
    {
        while (true)
        {
            var current = Get(type, ns, name);
            if (precondition is { } wanted && wanted != current.ResourceVersion)
            {
                throw ApiException.Conflict(type, name);
            }

            var desired = change(current);
            var old = current.ToNode();
            var next = PrepareUpdate(type, current, old, desired, statusOnly);
            if (IsNoOp(current, old, next))
            {
                return current;
            }

            if (dryRun)
            {
                return StoredObject.Create(type, next, current.ResourceVersion);
            }

            if (FinishesDeletion(type, next))
            {
                var removed = store.Remove(type, ns, name, current.ResourceVersion);
                if (removed is not null)
                {
                    return removed;
                }

                continue;
            }

            var stored = store.Replace(type, next, current.ResourceVersion, current.Uid);
            if (stored is not null)
            {
                return stored;
            }

            if (precondition is not null)
            {
                throw ApiException.Conflict(type, name);
            }
        }
    }

    private JsonObject PrepareUpdate(ResourceType type, StoredObject current, JsonObject old, JsonObject desired, bool statusOnly)
    {
        JsonObject next;
        if (statusOnly)
        {
            next = (JsonObject)old.DeepClone();
            next["status"] = desired["status"]?.DeepClone();
        }
        else
        {
            next = desired;
            SetTypeMeta(type, next);
            var metadata = next.Metadata();
            var oldMetadata = old.Metadata();
            foreach (var field in new[] { "name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation" })
            {
                metadata[field] = oldMetadata[field]?.DeepClone();
                if (metadata[field] is null)
                {
                    metadata.Remove(field);
                }
            }

            metadata.Remove("managedFields");
            if (type.HasStatus)
            {
                next["status"] = old["status"]?.DeepClone();
            }

            rules.Default(type, next, creating: false);
            if (type.TracksGeneration && !SameSpec(old, next))
            {
                metadata["generation"] = (old.Long("metadata", "generation") ?? 0) + 1;
            }

            Validate(type, next, current.Name);
        }

        Json.StripNulls(next);

        next.Metadata()["resourceVersion"] = current.ResourceVersion.ToString(CultureInfo.InvariantCulture);
        return next;
    }

    /// <summary>
    /// Whether the write changes nothing. Equal bytes settle it cheaply; a different length means a change;
    /// only same-length different bytes (reordered keys) need the structural comparison.
    /// </summary>
    private static bool IsNoOp(StoredObject current, JsonObject old, JsonObject next)
    {
        var bytes = next.Bytes();
        if (bytes.Length != current.Json.Length)
        {
            return false;
        }

        return bytes.AsSpan().SequenceEqual(current.Json) || JsonNode.DeepEquals(old, next);
    }

    private static bool SameSpec(JsonObject a, JsonObject b)
    {
        var keys = a.Select(kv => kv.Key).Concat(b.Select(kv => kv.Key)).Where(k => k is not ("metadata" or "status" or "apiVersion" or "kind")).Distinct();
        return keys.All(k => JsonNode.DeepEquals(a[k], b[k]));
    }

    /// <summary>An object waiting only for its finalizers goes away when the last one is removed (pods wait for their kubelet instead).</summary>
    private static bool FinishesDeletion(ResourceType type, JsonObject next) =>
        type != ResourceCatalog.Pods
        && next.Str("metadata", "deletionTimestamp") is not null
        && (next.At("metadata", "finalizers") as JsonArray ?? []).Count == 0
        && (type != ResourceCatalog.Namespaces || (next.At("spec", "finalizers") as JsonArray ?? []).Count == 0);

    private bool MustWait(ResourceType type, JsonObject node, DeleteOptions options)
    {
        if (type == ResourceCatalog.Pods)
        {
            var nodeName = node.Str("spec", "nodeName");
            var grace = options.GracePeriodSeconds ?? node.Long("spec", "terminationGracePeriodSeconds") ?? 30;
            return !string.IsNullOrEmpty(nodeName) && grace > 0 && NodeHasKubelet(nodeName);
        }

        return type == ResourceCatalog.Namespaces || (node.At("metadata", "finalizers") as JsonArray ?? []).Count > 0;
    }

    private static void MarkTerminating(ResourceType type, JsonObject node, DeleteOptions options)
    {
        var metadata = node.Metadata();
        var grace = type == ResourceCatalog.Pods ? options.GracePeriodSeconds ?? node.Long("spec", "terminationGracePeriodSeconds") ?? 30 : 0;
        metadata["deletionTimestamp"] = Json.Timestamp(DateTimeOffset.UtcNow.AddSeconds(grace));
        metadata["deletionGracePeriodSeconds"] = grace;
        if (type == ResourceCatalog.Namespaces)
        {
            node.Obj("status")["phase"] = "Terminating";
        }
    }

    private void OrphanDependents(StoredObject owner)
    {
        foreach (var type in ResourceCatalog.All.Where(t => t.Namespaced == owner.Type.Namespaced || !t.Namespaced))
        {
            foreach (var dependent in store.List(type, owner.Type.Namespaced ? owner.Namespace : null, Selector.Everything).Items)
            {
                if (dependent.Owners.Any(o => o.Uid == owner.Uid))
                {
                    TryUpdate(() => RemoveOwnerReference(type, dependent, owner.Uid));
                }
            }
        }
    }

    /// <summary>Drops the reference to owner <paramref name="ownerUid"/> from <paramref name="dependent"/>.</summary>
    public StoredObject RemoveOwnerReference(ResourceType type, StoredObject dependent, string ownerUid) =>
        GuaranteedUpdate(type, dependent.Namespace, dependent.Name, current =>
        {
            var node = current.ToNode();
            var kept = (node.At("metadata", "ownerReferences") as JsonArray ?? []).Where(r => r.Str("uid") != ownerUid).Select(r => r?.DeepClone());
            node.Metadata()["ownerReferences"] = new JsonArray([.. kept]);
            return node;
        }, statusOnly: false);

    private static void TryUpdate(Action write)
    {
        try
        {
            write();
        }
        catch (ApiException e) when (e.Code == 404)
        {
            // Gone meanwhile: nothing left to orphan.
        }
    }

    private static void CheckPreconditions(ResourceType type, StoredObject current, DeleteOptions options)
    {
        if (options.PreconditionUid is { Length: > 0 } uid && uid != current.Uid)
        {
            throw ApiException.Conflict(type, current.Name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {current.Uid}");
        }

        if (options.PreconditionResourceVersion is { Length: > 0 } rv && ParseVersion(rv) != current.ResourceVersion)
        {
            throw ApiException.Conflict(type, current.Name, $"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {current.ResourceVersion}");
        }
    }

    private void RequireActiveNamespace(ResourceType type, string ns, string name)
    {
        var found = store.Get(ResourceCatalog.Namespaces, null, ns) ?? throw ApiException.NamespaceNotFound(ns);
        if (found.Terminating)
        {
            throw ApiException.Forbidden(type, name, $"unable to create new content in namespace {ns} because it is being terminated");
        }
    }

    private static void Validate(ResourceType type, JsonObject obj, string name)
    {
        var causes = KindRules.Validate(type, obj);
        if (causes.Count > 0)
        {
            throw ApiException.Invalid(type, name, causes);
        }
    }

    private static void ValidateName(ResourceType type, string name)
    {
        if (name.Length == 0)
        {
            throw ApiException.Invalid(type, name, [new FieldCause("FieldValueRequired", "metadata.name", "Required value: name or generateName is required")]);
        }

        if (KindRules.CheckName(type.NameRule, name) is { } problem)
        {
            throw ApiException.Invalid(type, name, [FieldCause.Invalid("metadata.name", name, problem)]);
        }
    }

    private static void SetTypeMeta(ResourceType type, JsonObject obj)
    {
        // The C# client posts bodies without apiVersion and kind; the server fills them from the URL.
        var kind = obj.Str("kind");
        var apiVersion = obj.Str("apiVersion");
        if ((kind is { Length: > 0 } && kind != type.Kind) || (apiVersion is { Length: > 0 } && apiVersion != type.ApiVersion))
        {
            throw ApiException.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({type.ApiVersion}) or the kind ({kind}) is not {type.Kind}");
        }

        var rest = obj.Where(kv => kv.Key is not ("apiVersion" or "kind")).Select(kv => (kv.Key, Value: kv.Value)).ToList();
        obj.Clear();
        obj["kind"] = type.Kind;
        obj["apiVersion"] = type.ApiVersion;
        foreach (var (key, value) in rest)
        {
            obj[key] = value;
        }
    }

    private static string? SetNamespace(ResourceType type, string? urlNamespace, JsonObject metadata)
    {
        if (!type.Namespaced)
        {
            metadata.Remove("namespace");
            return null;
        }

        CheckBodyNamespace(type, urlNamespace, metadata);
        metadata["namespace"] = urlNamespace;
        return urlNamespace;
    }

    private static void CheckBodyNamespace(ResourceType type, string? urlNamespace, JsonObject metadata)
    {
        var bodyNamespace = metadata.Str("namespace");
        if (type.Namespaced && !string.IsNullOrEmpty(bodyNamespace) && bodyNamespace != urlNamespace)
        {
            throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }
    }

    public static long? ParseVersion(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw ApiException.BadRequest($"invalid resource version \"{text}\": expected a non-negative integer");
    }

    public static string RandomSuffix(int length) =>
        string.Create(length, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = RandomAlphabet[Random.Shared.Next(RandomAlphabet.Length)];
            }
        });
}
