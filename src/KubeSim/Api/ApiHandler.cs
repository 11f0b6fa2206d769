using System.Buffers;
using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IstioPodNetwork.KubeSim.Auth;
using IstioPodNetwork.KubeSim.Patching;
using IstioPodNetwork.KubeSim.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace IstioPodNetwork.KubeSim.Api;

/// <summary>
/// The Kubernetes API over HTTP: discovery, OpenAPI stubs, and every verb on every served resource,
/// answering errors with Status objects. Every request is counted; over TLS it is authenticated; fault injection (latency, failed
/// requests) is applied next.
/// </summary>
internal sealed class ApiHandler(ResourceRegistry registry, KubeSimFaults faults, RequestCounter requests, Identities? identities, TimeSpan bookmarkInterval, ILogger logger, CancellationToken stopping)
{
    private static readonly byte[] ItemsSeparator = ","u8.ToArray();
    private static readonly FrozenSet<string> PublicPaths = FrozenSet.Create(StringComparer.Ordinal, "/version", "/healthz", "/livez", "/readyz");
    private readonly RbacAuthorizer rbac = new(registry.Store);

    public async Task HandleAsync(HttpContext context)
    {
        var request = ApiRequest.Parse(context.Request);
        if (!context.Request.Path.StartsWithSegments("/kubesim"))
        {
            // An admin URL that matched no admin endpoint ends here as a 404; it is not an API request.
            requests.Count(request.Kind);
        }

        try
        {
            var identity = Authenticate(context.Request) ?? throw ApiException.Unauthorized();

            if (faults.Latency > TimeSpan.Zero)
            {
                await Task.Delay(faults.Latency, context.RequestAborted);
            }

            if (faults.TryTakeFailure(out var status))
            {
                throw ApiException.Injected(status);
            }

            if (request.Target is { } target && (faults.IsForbidden(target.Type) || (identity.IsServiceAccount && !rbac.Allows(identity, request.Verb, target))))
            {
                throw ApiException.NotAllowed(target.Type, target.Resource, request.Verb, target.Namespace, target.Name, identity.User);
            }

            await DispatchAsync(context, request);
        }
        catch (ApiException e)
        {
            await WriteErrorAsync(context, e);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client hung up.
        }
        catch (Exception e)
        {
            logger.LogError(e, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
            await WriteErrorAsync(context, new ApiException(500, "InternalError", $"Internal error occurred: {e.Message}"));
        }
    }

    /// <summary>
    /// As kube-apiserver's secure port: a request must carry the bearer token of KubeSim's kubeconfig or of a
    /// service account KubeSim issued, except for the version and health paths that Kubernetes' default RBAC lets
    /// anyone read, and KubeSim's own /kubesim control paths. Without identities (plain HTTP) nothing is checked, as
    /// on the API server's old insecure port; kubectl sends no token over plain HTTP anyway.
    /// </summary>
    private Identity? Authenticate(HttpRequest request) =>
        identities is null || PublicPaths.Contains(request.Path.Value ?? string.Empty) || request.Path.StartsWithSegments("/kubesim")
            ? Identity.Admin
            : identities.Identify(request.Headers.Authorization.ToString());

    public static async Task WriteErrorAsync(HttpContext context, ApiException error)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        if (error.RetryAfterSeconds is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        }

        await WriteJsonAsync(context, error.Code, error.ToStatus().Bytes());
    }

    private async Task DispatchAsync(HttpContext context, ApiRequest request)
    {
        if (request.Target is { } target)
        {
            await ServeResourceAsync(context, target, request.Verb);
            return;
        }

        var get = HttpMethods.IsGet(context.Request.Method);
        switch (request.Segments)
        {
            case ["version"] when get:
                await WriteJsonAsync(context, 200, Discovery.Version().Bytes());
                return;
            case ["healthz" or "livez" or "readyz"] when get:
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync("ok");
                return;
            case ["openapi", "v3"] when get:
                await WriteJsonAsync(context, 200, Discovery.OpenApiRoot().Bytes());
                return;
            case ["openapi", "v3", .. var rest] when get && Discovery.OpenApiGroupVersion(string.Join('/', rest)) is { } document:
                await WriteJsonAsync(context, 200, document);
                return;
            case ["api"] when get:
                await WriteJsonAsync(context, 200, Discovery.CoreVersions(context.Request.Host.Value ?? string.Empty).Bytes());
                return;
            case ["apis"] when get:
                await WriteJsonAsync(context, 200, Discovery.Groups().Bytes());
                return;
            case ["apis", var group] when get && Discovery.FindGroup(group) is { } found:
                await WriteJsonAsync(context, 200, found.Bytes());
                return;
            case ["api", var version] when get && Discovery.ResourceList(string.Empty, version) is { } list:
                await WriteJsonAsync(context, 200, list.Bytes());
                return;
            case ["apis", var group, var version] when get && Discovery.ResourceList(group, version) is { } list:
                await WriteJsonAsync(context, 200, list.Bytes());
                return;
            default:
                throw ApiException.PathNotFound();
        }
    }

    private async Task ServeResourceAsync(HttpContext context, RequestTarget target, string verb)
    {
        var request = context.Request;
        var query = request.Query;
        var dryRun = query.ContainsKey("dryRun");
        var statusOnly = target.Subresource is "status";
        if (target.Subresource is "scale")
        {
            await ServeScaleAsync(context, target, dryRun);
            return;
        }

        switch (verb)
        {
            case "watch":
                await WatchAsync(context, target);
                return;
            case "list":
                await ListAsync(context, target);
                return;
            case "get" when target.Name is not null:
                await WriteObjectAsync(context, 200, registry.Get(target.Type, target.Namespace, target.Name));
                return;
            case "create" when target.Name is null:
                var created = registry.Create(target.Type, target.Namespace, await ReadObjectAsync(request, target.Type), dryRun);
                await WriteObjectAsync(context, 201, created);
                return;
            case "update" when target.Name is not null:
                var body = await ReadObjectAsync(request, target.Type);
                var updated = target.Subresource is "finalize"
                    ? registry.GuaranteedUpdate(target.Type, null, target.Name, current => WithFinalizers(current, body), statusOnly: false, dryRun: dryRun)
                    : registry.Update(target.Type, target.Namespace, target.Name, body, statusOnly, dryRun);
                await WriteObjectAsync(context, 200, updated);
                return;
            case "patch" when target.Name is not null && target.Subresource is not "finalize":
                var contentType = MediaType(request.ContentType);
                if (!PatchTypes.All.Contains(contentType))
                {
                    throw ApiException.UnsupportedMediaType(contentType, PatchTypes.All);
                }

                if (contentType == PatchTypes.Apply && string.IsNullOrEmpty(query["fieldManager"]))
                {
                    throw ApiException.BadRequest("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
                }

                var (patched, createdByApply) = registry.Patch(target.Type, target.Namespace, target.Name, contentType, await ReadBytesAsync(request), statusOnly, dryRun);
                await WriteObjectAsync(context, createdByApply ? 201 : 200, patched);
                return;
            case "delete" when target.Name is not null && target.Subresource is null:
                var outcome = registry.Delete(target.Type, target.Namespace, target.Name, await ReadDeleteOptionsAsync(request), dryRun);
                if (outcome.Finished && !target.Type.ReturnsDeletedObject)
                {
                    await WriteJsonAsync(context, 200, SuccessStatus(outcome.Object).Bytes());
                }
                else
                {
                    await WriteObjectAsync(context, outcome.Finished ? 200 : 202, outcome.Object);
                }

                return;
            case "deletecollection":
                await DeleteCollectionAsync(context, target, dryRun);
                return;
            default:
                throw ApiException.MethodNotAllowed();
        }
    }

    /// <summary>GET, PUT and PATCH of an autoscaling/v1 Scale, which reads and writes the parent's spec.replicas.</summary>
    private async Task ServeScaleAsync(HttpContext context, RequestTarget target, bool dryRun)
    {
        var request = context.Request;
        var parent = registry.Get(target.Type, target.Namespace, target.Name!);
        JsonObject desired;
        switch (request.Method)
        {
            case "GET":
                await WriteJsonAsync(context, 200, ScaleSubresource.Of(parent).Bytes());
                return;
            case "PUT":
                desired = await ReadObjectAsync(request, target.Type);
                break;
            case "PATCH":
                var patch = ResourceRegistry.ParsePatch(await ReadBytesAsync(request));
                desired = ResourceRegistry.ApplyPatch(MediaType(request.ContentType), ScaleSubresource.Of(parent), patch, PatchSchema.Opaque);
                break;
            default:
                throw ApiException.MethodNotAllowed();
        }

        var updated = ScaleSubresource.Write(registry, parent, desired, dryRun);
        await WriteJsonAsync(context, 200, ScaleSubresource.Of(updated).Bytes());
    }

    private async Task ListAsync(HttpContext context, RequestTarget target)
    {
        var query = context.Request.Query;
        var selector = Selector.Parse(target.Type, query["labelSelector"], query["fieldSelector"]);
        var (items, version) = registry.Store.List(target.Type, target.Namespace, selector);
        if (Tables.Wanted(context.Request.Headers.Accept))
        {
            await WriteJsonAsync(context, 200, Tables.Build(target.Type, items, version, query["includeObject"]).Bytes());
            return;
        }

        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = "application/json";
        var writer = response.BodyWriter;
        writer.Write(Encoding.UTF8.GetBytes(
            $"{{\"kind\":\"{target.Type.ListKind}\",\"apiVersion\":\"{target.Type.ApiVersion}\",\"metadata\":{{\"resourceVersion\":\"{version.ToString(CultureInfo.InvariantCulture)}\"}},\"items\":["));
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                writer.Write(ItemsSeparator);
            }

            writer.Write(items[i].Json);
        }

        writer.Write("]}"u8);
        await writer.FlushAsync(context.RequestAborted);
    }

    private async Task WatchAsync(HttpContext context, RequestTarget target)
    {
        var query = context.Request.Query;
        var fieldSelector = (string?)query["fieldSelector"];
        if (target.Name is not null)
        {
            // The deprecated /watch/.../{name} form watches one object.
            fieldSelector = string.IsNullOrEmpty(fieldSelector) ? $"metadata.name={target.Name}" : $"{fieldSelector},metadata.name={target.Name}";
        }

        var selector = Selector.Parse(target.Type, query["labelSelector"], fieldSelector);
        var start = new WatchStart(ParseLong(query["resourceVersion"], "resourceVersion"), ApiRequest.IsTrue(query["sendInitialEvents"]));
        var timeout = ParseLong(query["timeoutSeconds"], "timeoutSeconds") is { } seconds && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.FromMinutes(30 + Random.Shared.Next(30));
        var settings = new WatchSettings(timeout, ApiRequest.IsTrue(query["allowWatchBookmarks"]), bookmarkInterval, Tables.Wanted(context.Request.Headers.Accept), query["includeObject"]);
        var watcher = registry.Store.Watch(target.Type, target.Namespace, selector, start);
        await WatchStream.ServeAsync(context, registry.Store, watcher, settings, stopping);
    }

    private async Task DeleteCollectionAsync(HttpContext context, RequestTarget target, bool dryRun)
    {
        var query = context.Request.Query;
        var selector = Selector.Parse(target.Type, query["labelSelector"], query["fieldSelector"]);
        var options = await ReadDeleteOptionsAsync(context.Request);
        var (items, _) = registry.Store.List(target.Type, target.Namespace, selector);
        var deleted = new List<StoredObject>();
        foreach (var item in items)
        {
            try
            {
                deleted.Add(registry.Delete(target.Type, item.Namespace, item.Name, options, dryRun).Object);
            }
            catch (ApiException e) when (e.Code == 404)
            {
                // Deleted by someone else meanwhile.
            }
        }

        var list = new JsonObject
        {
            ["kind"] = target.Type.ListKind,
            ["apiVersion"] = target.Type.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = registry.Store.CurrentVersion.ToString(CultureInfo.InvariantCulture) },
            ["items"] = Json.Array(deleted.Select(d => (JsonNode)d.ToNode())),
        };
        await WriteJsonAsync(context, 200, list.Bytes());
    }

    private static JsonObject WithFinalizers(StoredObject current, JsonObject body)
    {
        var node = current.ToNode();
        node.Obj("spec")["finalizers"] = body.At("spec", "finalizers")?.DeepClone() ?? new JsonArray();
        return node;
    }

    private static JsonObject SuccessStatus(StoredObject deleted)
    {
        var details = new JsonObject { ["name"] = deleted.Name };
        if (deleted.Type.Group.Length > 0)
        {
            details["group"] = deleted.Type.Group;
        }

        details["kind"] = deleted.Type.Plural;
        details["uid"] = deleted.Uid;
        return new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Success",
            ["details"] = details,
        };
    }

    private static async Task WriteObjectAsync(HttpContext context, int status, StoredObject obj)
    {
        if (Tables.Wanted(context.Request.Headers.Accept))
        {
            await WriteJsonAsync(context, status, Tables.Build(obj.Type, [obj], obj.ResourceVersion, context.Request.Query["includeObject"]).Bytes());
            return;
        }

        await WriteJsonAsync(context, status, obj.Json);
    }

    private static async Task WriteJsonAsync(HttpContext context, int status, byte[] body)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, context.RequestAborted);
    }

    private static async Task<byte[]> ReadBytesAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
        return buffer.ToArray();
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpRequest request, ResourceType type)
    {
        var contentType = MediaType(request.ContentType);
        if (contentType == Protobuf.MediaType)
        {
            return Protobuf.Decode(type, await ReadBytesAsync(request));
        }

        if (contentType is not ("" or "application/json" or "*/*"))
        {
            throw ApiException.UnsupportedMediaType(contentType, ["application/json"]);
        }

        var bytes = await ReadBytesAsync(request);
        try
        {
            return JsonNode.Parse(bytes) as JsonObject ?? throw ApiException.BadRequest("the request body is not a JSON object");
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"the request body is not valid JSON: {e.Message}");
        }
    }

    private static async Task<DeleteOptions> ReadDeleteOptionsAsync(HttpRequest request)
    {
        var query = request.Query;
        var bytes = await ReadBytesAsync(request);
        JsonNode? body = null;
        if (bytes.Length > 0)
        {
            try
            {
                body = JsonNode.Parse(bytes);
            }
            catch (JsonException e)
            {
                throw ApiException.BadRequest($"the DeleteOptions body is not valid JSON: {e.Message}");
            }
        }

        return new DeleteOptions(
            ParseLong(query["gracePeriodSeconds"], "gracePeriodSeconds") ?? body.Long("gracePeriodSeconds"),
            (string?)query["propagationPolicy"] ?? body.Str("propagationPolicy") ?? (body.Bool("orphanDependents") == true ? "Orphan" : null),
            body.Str("preconditions", "uid"),
            body.Str("preconditions", "resourceVersion"));
    }

    /// <summary>The media type without parameters: clients send "; charset=utf-8" (the C# client does).</summary>
    private static string MediaType(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed) ? parsed.MediaType.Value ?? string.Empty : string.Empty;

    private static long? ParseLong(string? value, string name)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        return long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : throw ApiException.BadRequest($"invalid {name} \"{value}\": expected an integer");
    }
}
