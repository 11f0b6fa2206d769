using System.Collections.Immutable;
using System.Globalization;
using IstioPodNetwork.Capture.Processes;
using IstioPodNetwork.Capture.Spec;

namespace IstioPodNetwork.Capture.Programming;

/// <summary>
/// TPROXY's policy routing inside the pod netns: packets carrying the TPROXY mark are looked up in
/// table 133, whose local default route hands them to the local stack (Istio's
/// <c>ip rule add fwmark 1337 lookup 133</c> and <c>ip route add local default dev lo table 133</c>).
/// What we add carries our routing protocol number, the equivalent of our iptables comment, so that
/// removal deletes only ours.
/// </summary>
internal sealed class PolicyRouting(IProcessRunner runner, IptablesTools tools)
{
    /// <summary>Routing protocol number marking the ip rules and routes ipnc adds (unassigned in rt_protos).</summary>
    public const int Protocol = 227;

    private static readonly string Mark = "0x" + CaptureSpec.TproxyMark.ToString("x", CultureInfo.InvariantCulture);
    private static readonly string Table = CaptureSpec.TproxyRouteTable.ToString(CultureInfo.InvariantCulture);
    private static readonly string ProtocolText = Protocol.ToString(CultureInfo.InvariantCulture);

    /// <summary>Adds whatever of the rule and the route is missing; null on success, else why not.</summary>
    public async Task<string?> EnsureAsync(string netns, IpFamily family, CancellationToken cancellationToken)
    {
        var missing = await CheckAsync(netns, family, cancellationToken);
        if (missing.Failure is not null)
        {
            return missing.Failure;
        }

        foreach (var difference in missing.Missing)
        {
            var add = difference.Chain == "rule"
                ? Ip(family, "rule", "add", "fwmark", CaptureSpec.TproxyMark.ToString(CultureInfo.InvariantCulture), "lookup", Table, "protocol", ProtocolText)
                : Ip(family, "route", "replace", "local", "default", "dev", "lo", "table", Table, "proto", ProtocolText);
            var result = await runner.RunAsync(add with { NetworkNamespace = netns }, cancellationToken);
            if (!result.Succeeded)
            {
                return $"{add} failed: {result.Describe()}";
            }
        }

        return null;
    }

    /// <summary>Which of the rule and the route are missing (any rule or route with the same effect counts, ours or Istio's).</summary>
    public async Task<(ImmutableArray<RuleDifference> Missing, string? Failure)> CheckAsync(string netns, IpFamily family, CancellationToken cancellationToken)
    {
        var rules = await Show(netns, family, cancellationToken, "rule", "show");
        if (rules.Failure is not null)
        {
            return ([], rules.Failure);
        }

        var routes = await Show(netns, family, cancellationToken, "route", "show", "table", Table);
        if (routes.Failure is not null)
        {
            return ([], routes.Failure);
        }

        var missing = ImmutableArray.CreateBuilder<RuleDifference>();
        if (!rules.Lines.Any(IsMarkRule))
        {
            missing.Add(new RuleDifference(family, "policy-routing", "rule", $"ip rule fwmark {Mark} lookup {Table}"));
        }

        if (!routes.Lines.Any(l => l.StartsWith("local default dev lo", StringComparison.Ordinal)))
        {
            missing.Add(new RuleDifference(family, "policy-routing", "route", $"ip route local default dev lo table {Table}"));
        }

        return (missing.ToImmutable(), null);
    }

    /// <summary>Deletes the rules and routes we added (those with our protocol number); null on success, else why not.</summary>
    public async Task<string?> RemoveAsync(string netns, IpFamily family, CancellationToken cancellationToken)
    {
        var rules = await Show(netns, family, cancellationToken, "rule", "show");
        var routes = await Show(netns, family, cancellationToken, "route", "show", "table", Table);
        if ((rules.Failure ?? routes.Failure) is { } failure)
        {
            return failure;
        }

        var deletions = rules.Lines.Where(l => IsMarkRule(l) && l.EndsWith("proto " + ProtocolText, StringComparison.Ordinal))
            .Select(_ => Ip(family, "rule", "del", "fwmark", CaptureSpec.TproxyMark.ToString(CultureInfo.InvariantCulture), "lookup", Table, "protocol", ProtocolText))
            .Concat(routes.Lines.Where(l => l.StartsWith("local default dev lo proto " + ProtocolText + " ", StringComparison.Ordinal) || l == "local default dev lo proto " + ProtocolText)
                .Select(_ => Ip(family, "route", "del", "local", "default", "dev", "lo", "table", Table, "proto", ProtocolText)));
        foreach (var delete in deletions)
        {
            var result = await runner.RunAsync(delete with { NetworkNamespace = netns }, cancellationToken);
            if (!result.Succeeded)
            {
                return $"{delete} failed: {result.Describe()}";
            }
        }

        return null;
    }

    private static bool IsMarkRule(string line) => line.Contains($"fwmark {Mark} lookup {Table}", StringComparison.Ordinal);

    private async Task<(ImmutableArray<string> Lines, string? Failure)> Show(string netns, IpFamily family, CancellationToken cancellationToken, params string[] arguments)
    {
        var request = Ip(family, arguments) with { NetworkNamespace = netns };
        var result = await runner.RunAsync(request, cancellationToken);

        // A routing table that was never used does not exist yet: it simply has no routes.
        return result.Succeeded
            ? ([.. result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)], null)
            : result.StandardError.Contains("table does not exist", StringComparison.Ordinal) ? ([], null)
            : ([], $"{request} failed: {result.Describe()}");
    }

    private ProcessRequest Ip(IpFamily family, params string[] arguments) =>
        new([tools.Ip, family == IpFamily.IPv4 ? "-4" : "-6", .. arguments]);
}
