using System.Globalization;
using System.Text.Json;
using IstioPodNetwork.KubeSim.Api;
using IstioPodNetwork.KubeSim.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace IstioPodNetwork.KubeSim.Hosting;

/// <summary>/kubesim/...: fault injection, node registration, sandbox look-up and request counts for tests in other processes. Never subject to faults, never counted.</summary>
internal static class AdminEndpoints
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    public static void Map(IEndpointRouteBuilder app, Func<KubeSimServer> sim)
    {
        var admin = app.MapGroup("/kubesim");
        admin.MapPost("/faults/expire-watches", () => Results.Json(new { ended = sim().Faults.ExpireWatches() }, Web));
        admin.MapPost("/faults/cut-watches", () => Results.Json(new { ended = sim().Faults.CutWatchStreams() }, Web));
        admin.MapPost("/faults/fail", (HttpContext context) =>
        {
            var count = Int(context, "count", 1);
            var status = Int(context, "status", 503);
            sim().Faults.FailNextRequests(count, status);
            return Results.Json(new { count, status }, Web);
        });
        admin.MapPost("/faults/latency", (HttpContext context) =>
        {
            var ms = Int(context, "ms", 0);
            sim().Faults.Latency = TimeSpan.FromMilliseconds(ms);
            return Results.Json(new { latencyMs = ms }, Web);
        });
        admin.MapDelete("/faults", () =>
        {
            sim().Faults.Reset();
            return Results.NoContent();
        });
        admin.MapGet("/nodes", () => Results.Json(sim().Nodes.Select(NodeView), Web));
        admin.MapPost("/nodes", async (HttpContext context) =>
        {
            var name = context.Request.Query["name"].ToString();
            var driver = context.Request.Query["cgroupDriver"].ToString();
            var options = driver.Length == 0 ? null : new NodeOptions { CgroupDriver = Enum.Parse<CgroupDriver>(driver, ignoreCase: true) };
            var node = await sim().RegisterNodeAsync(name, options, context.RequestAborted);
            return Results.Json(NodeView(node), Web);
        });
        admin.MapGet("/stats", () => Results.Json(StatsView(sim()), Web));
        admin.MapGet("/sandboxes", () => Results.Json(sim().Sandboxes.Select(SandboxView), Web));
        admin.MapGet("/sandboxes/{ns}/{name}", (string ns, string name) =>
            sim().FindSandbox(ns, name) is { } sandbox ? Results.Json(SandboxView(sandbox), Web) : Results.NotFound());
    }

    private static int Int(HttpContext context, string name, int fallback)
    {
        var text = context.Request.Query[name].ToString();
        if (text.Length == 0)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw ApiException.BadRequest($"query parameter {name}: \"{text}\" is not an integer");
    }

    private static object NodeView(SimulatedNode node) => new
    {
        node.Name,
        InternalIp = node.InternalIp.ToString(),
        node.PodCidr,
        Gateway = node.Gateway.ToString(),
        node.NetnsName,
        node.NetnsPath,
        CgroupDriver = node.CgroupDriver.ToString(),
    };

    private static object StatsView(KubeSimServer sim)
    {
        var requests = sim.Requests;
        return new
        {
            Requests = new
            {
                requests.Total,
                ByVerb = new SortedDictionary<string, long>(requests.ByVerb.ToDictionary(), StringComparer.Ordinal),
                ByKind = requests.ByKind
                    .OrderBy(pair => pair.Key.Verb, StringComparer.Ordinal)
                    .ThenBy(pair => pair.Key.Resource, StringComparer.Ordinal)
                    .Select(pair => new { pair.Key.Verb, pair.Key.Resource, Count = pair.Value }),
            },
            sim.OpenWatches,
            sim.ConnectionsAccepted,
        };
    }

    private static object SandboxView(PodSandbox sandbox) => new
    {
        sandbox.Namespace,
        sandbox.Name,
        sandbox.Uid,
        sandbox.NodeName,
        PodIps = sandbox.PodIps.Select(ip => ip.ToString()),
        sandbox.NetnsName,
        sandbox.NetnsPath,
        sandbox.Pid,
        sandbox.CgroupPath,
        sandbox.ContainerId,
    };

    /// <summary>Admin errors answer as Status objects too.</summary>
    public static async Task HandleErrorsAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            await ApiHandler.WriteErrorAsync(context, ApiException.BadRequest(e.Message));
        }
        catch (ApiException e)
        {
            await ApiHandler.WriteErrorAsync(context, e);
        }
        catch (Exception e)
        {
            await ApiHandler.WriteErrorAsync(context, new ApiException(500, "InternalError", $"Internal error occurred: {e.Message}"));
        }
    }
}
