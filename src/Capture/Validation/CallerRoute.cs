using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using IstioPodNetwork.Capture.Processes;

namespace IstioPodNetwork.Capture.Validation;

/// <summary>
/// Whether an inbound probe may connect from the caller's netns. A pod on this node is reached through a
/// route of its own (the CNI's bridge, veth or host device); an address only the default route would take
/// is not a pod here, and a probe run with the wrong --from-netns must not send traffic off the node.
/// </summary>
public static class CallerRoute
{
    /// <summary>Why the probe must not connect to <paramref name="destination"/> from <paramref name="callerNetns"/>; null when it may.</summary>
    public static async Task<string?> RefusalAsync(IProcessRunner runner, string callerNetns, IPAddress destination, CancellationToken cancellationToken)
    {
        var family = destination.AddressFamily == AddressFamily.InterNetworkV6 ? "-6" : "-4";
        var chosen = await runner.RunAsync(new ProcessRequest(["ip", family, "-j", "route", "get", destination.ToString()], NetworkNamespace: callerNetns), cancellationToken);
        if (!chosen.Succeeded)
        {
            return $"{destination} has no route from {callerNetns} ({chosen.Describe()})";
        }

        var defaults = await runner.RunAsync(new ProcessRequest(["ip", family, "-j", "route", "show", "default"], NetworkNamespace: callerNetns), cancellationToken);
        return defaults.Succeeded
            ? Refusal(callerNetns, destination, chosen.StandardOutput, defaults.StandardOutput)
            : $"the routes of {callerNetns} cannot be read ({defaults.Describe()})";
    }

    /// <summary>
    /// The decision, from `ip -j route get DESTINATION` and `ip -j route show default` as run in the caller's
    /// netns: refused when the chosen next hop is one of the default route's.
    /// </summary>
    public static string? Refusal(string callerNetns, IPAddress destination, string routeGetJson, string defaultRoutesJson)
    {
        if (Hops(routeGetJson).FirstOrDefault() is not { } chosen)
        {
            return $"{destination} has no route from {callerNetns}";
        }

        return Hops(defaultRoutesJson).Contains(chosen)
            ? $"{destination} is reached from {callerNetns} only through its default route ({chosen}), so it is no pod on this node; "
                + "give --from-netns the network namespace that routes to the pod (the node's)"
            : null;
    }

    /// <summary>Every next hop of every route in the JSON, multipath ones included.</summary>
    private static ImmutableArray<NextHop> Hops(string json)
    {
        using var document = JsonDocument.Parse(json.Trim().Length == 0 ? "[]" : json);
        var hops = ImmutableArray.CreateBuilder<NextHop>();
        foreach (var route in document.RootElement.EnumerateArray())
        {
            if (route.TryGetProperty("nexthops", out var nexthops))
            {
                hops.AddRange(nexthops.EnumerateArray().Select(NextHop.From));
            }
            else
            {
                hops.Add(NextHop.From(route));
            }
        }

        return hops.ToImmutable();
    }

    private sealed record NextHop(string? Gateway, string? Device)
    {
        public static NextHop From(JsonElement element) => new(Text(element, "gateway"), Text(element, "dev"));

        public override string ToString() => string.Join(' ', new[] { Gateway is null ? null : $"via {Gateway}", Device is null ? null : $"dev {Device}" }.OfType<string>());

        private static string? Text(JsonElement element, string name) =>
            element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }
}
