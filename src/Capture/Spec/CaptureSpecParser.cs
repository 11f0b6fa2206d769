using System.Collections.Immutable;
using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace IstioPodNetwork.Capture.Spec;

/// <summary>
/// Pod capture inputs + node defaults → <see cref="CaptureSpec"/> or every error found.
/// Pure and total: no I/O, never throws, each error names its input, the value and what was expected.
/// Semantics follow Istio's CNI plugin (cni/pkg/plugin/sidecar_redirect.go) and istio-iptables.
/// </summary>
public static partial class CaptureSpecParser
{
    private const string PortList = "a comma-separated list of ports (0-65535)";
    private const string PortListOrWildcard = "\"*\" or " + PortList;
    private const string CidrList = "a comma-separated list of CIDRs (such as 10.0.0.0/8 or fd00::/8)";
    private const string CidrListOrWildcard = "\"*\" or " + CidrList;
    private const string InterfaceList = "a comma-separated list of interface names (a letter, then letters, digits, '_', '.' or '-'; at most 15 characters)";
    private const string Boolean = "a boolean (true, false, 1, 0, t, f)";
    private const string IdRange = "an ID from 0 to 2147483647";

    private static readonly ImmutableHashSet<string> TrueWords = ["1", "t", "T", "TRUE", "true", "True"];
    private static readonly ImmutableHashSet<string> FalseWords = ["0", "f", "F", "FALSE", "false", "False"];

    public static CaptureParseResult Parse(PodCaptureInput pod, CaptureDefaults defaults)
    {
        var errors = ImmutableArray.CreateBuilder<AnnotationError>();
        var annotations = pod.Annotations ?? ImmutableDictionary<string, string>.Empty;

        string? Annotation(string key) => annotations.TryGetValue(key, out var value) ? value : null;

        var mode = ParseMode(Annotation(CaptureAnnotations.InterceptionMode), errors);
        var outboundPort = defaults.OutboundCapturePort;
        if (Annotation(CaptureAnnotations.EnvoyPort) is { } envoyPort)
        {
            outboundPort = TryParsePort(envoyPort.Trim(), out var port) && port > 0
                ? port
                : Fail<ushort>(errors, CaptureAnnotations.EnvoyPort, envoyPort, "a port number from 1 to 65535", defaults.OutboundCapturePort);
        }

        // Each annotation: absent → the default; present → parsed, or an error and a stand-in value.
        T Read<T>(string key, Func<string, string, T> parse, T absent) => Annotation(key) is { } value ? parse(key, value) : absent;
        PortSelection Ports(string key, string value, bool wildcard) => ParsePorts(key, value, wildcard, errors);
        CidrSelection Ranges(string key, string value, bool wildcard) => ParseRanges(key, value, wildcard, errors);
        ImmutableArray<string> Interfaces(string key, string value) => ParseInterfaces(key, value, errors);

        var inboundPorts = Read(CaptureAnnotations.IncludeInboundPorts, (k, v) => Ports(k, v, true), PortSelection.All);
        var excludedInbound = Read(CaptureAnnotations.ExcludeInboundPorts, (k, v) => Ports(k, v, false).Ports, []);
        var includedOutboundPorts = Read(CaptureAnnotations.IncludeOutboundPorts, (k, v) => Ports(k, v, false).Ports, []);

        // The annotation replaces the node default (Istio: the default 15020 applies only when it is absent).
        var excludedOutboundPorts = Read(CaptureAnnotations.ExcludeOutboundPorts, (k, v) => Ports(k, v, false).Ports, defaults.ExcludedOutboundPorts.Distinct().ToImmutableArray());
        var includedRanges = Read(CaptureAnnotations.IncludeOutboundIPRanges, (k, v) => Ranges(k, v, true), CidrSelection.All);
        var excludedRanges = Read(CaptureAnnotations.ExcludeOutboundIPRanges, (k, v) => Ranges(k, v, false).Ranges, []);
        var excludedInterfaces = Read(CaptureAnnotations.ExcludeInterfaces, Interfaces, []);

        // The deprecated kubevirtInterfaces counts only when reroute-virtual-interfaces is absent, as in Istio.
        var virtualInterfaces = Annotation(CaptureAnnotations.RerouteVirtualInterfaces) is not null
            ? Read(CaptureAnnotations.RerouteVirtualInterfaces, Interfaces, [])
            : Read(CaptureAnnotations.KubevirtInterfaces, Interfaces, []);

        var proxy = pod.Proxy;
        var uid = ParseProxyId(CaptureAnnotations.ProxyRunAsUser, proxy?.RunAsUser, errors);
        var gid = ParseProxyId(CaptureAnnotations.ProxyRunAsGroup, proxy?.RunAsGroup, errors);
        var environment = proxy?.Environment ?? ImmutableDictionary<string, string>.Empty;
        var captureDns = ParseBoolean(CaptureAnnotations.DnsCaptureEnv, environment.GetValueOrDefault(CaptureAnnotations.DnsCaptureVariable), errors);
        var dropInvalid = ParseBoolean(CaptureAnnotations.InvalidDropEnv, environment.GetValueOrDefault(CaptureAnnotations.InvalidDropVariable), errors);

        if (errors.Count > 0)
        {
            return new CaptureParseResult.Rejected(errors.ToImmutable());
        }

        var podIps = pod.PodIps.IsDefault ? [] : pod.PodIps;
        var hasIPv6 = podIps.Any(ip => ip.AddressFamily == AddressFamily.InterNetworkV6 && !ip.IsIPv4MappedToIPv6);
        return new CaptureParseResult.Accepted(new CaptureSpec(
            mode,
            outboundPort,
            defaults.InboundCapturePort,
            defaults.TunnelPort,
            uid,
            gid,
            inboundPorts,
            excludedInbound.Concat(defaults.ExcludedInboundPorts).Distinct().ToImmutableArray(),
            includedOutboundPorts,
            excludedOutboundPorts,
            includedRanges,
            excludedRanges,
            excludedInterfaces,
            virtualInterfaces,
            captureDns,
            dropInvalid,
            hasIPv6 ? [IpFamily.IPv4, IpFamily.IPv6] : [IpFamily.IPv4]));
    }

    private static InterceptionMode ParseMode(string? value, ImmutableArray<AnnotationError>.Builder errors) => value switch
    {
        null or "REDIRECT" => InterceptionMode.Redirect,
        "TPROXY" => InterceptionMode.Tproxy,
        _ => Fail(errors, CaptureAnnotations.InterceptionMode, value, "REDIRECT or TPROXY", InterceptionMode.Redirect),
    };

    private static PortSelection ParsePorts(string annotation, string value, bool allowWildcard, ImmutableArray<AnnotationError>.Builder errors)
    {
        var text = value.Trim();
        if (text.Length == 0)
        {
            return PortSelection.None;
        }

        var expected = allowWildcard ? PortListOrWildcard : PortList;
        if (text == "*")
        {
            return allowWildcard ? PortSelection.All : Fail(errors, annotation, value, expected + " (\"*\" is not allowed here)", PortSelection.None);
        }

        var ports = new List<ushort>();
        foreach (var item in text.Split(','))
        {
            if (!TryParsePort(item.Trim(), out var port))
            {
                return Fail(errors, annotation, value, expected, PortSelection.None);
            }

            if (!ports.Contains(port))
            {
                ports.Add(port);
            }
        }

        return PortSelection.Of(ports);
    }

    private static bool TryParsePort(string text, out ushort port)
    {
        port = 0;
        return text.Length is > 0 and <= 5
            && text.All(char.IsAsciiDigit)
            && ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port);
    }

    private static CidrSelection ParseRanges(string annotation, string value, bool allowWildcard, ImmutableArray<AnnotationError>.Builder errors)
    {
        var text = value.Trim();
        if (text.Length == 0)
        {
            return CidrSelection.Of([]);
        }

        var expected = allowWildcard ? CidrListOrWildcard : CidrList;
        if (text == "*")
        {
            return allowWildcard ? CidrSelection.All : Fail(errors, annotation, value, expected + " (\"*\" is not allowed here)", CidrSelection.Of([]));
        }

        var ranges = new List<Cidr>();
        foreach (var item in text.Split(','))
        {
            if (!Cidr.TryParse(item.Trim(), out var cidr))
            {
                return Fail(errors, annotation, value, expected, CidrSelection.Of([]));
            }

            if (!ranges.Contains(cidr))
            {
                ranges.Add(cidr);
            }
        }

        return CidrSelection.Of(ranges);
    }

    private static ImmutableArray<string> ParseInterfaces(string annotation, string value, ImmutableArray<AnnotationError>.Builder errors)
    {
        var text = value.Trim();
        if (text.Length == 0)
        {
            return [];
        }

        var names = new List<string>();
        foreach (var item in text.Split(','))
        {
            var name = item.Trim();
            if (name.Length > 15 || !InterfaceName().IsMatch(name))
            {
                return Fail(errors, annotation, value, InterfaceList, ImmutableArray<string>.Empty);
            }

            if (!names.Contains(name))
            {
                names.Add(name);
            }
        }

        return [.. names];
    }

    /// <summary>Istio ignores a runAsUser/runAsGroup of 0 (root cannot be the proxy's identity) and falls back to 1337.</summary>
    private static uint ParseProxyId(string input, long? value, ImmutableArray<AnnotationError>.Builder errors) => value switch
    {
        null or 0 => CaptureSpec.DefaultProxyId,
        > 0 and <= int.MaxValue => (uint)value.Value,
        _ => Fail(errors, input, value.Value.ToString(CultureInfo.InvariantCulture), IdRange, CaptureSpec.DefaultProxyId),
    };

    private static bool ParseBoolean(string input, string? value, ImmutableArray<AnnotationError>.Builder errors)
    {
        if (value is null || value.Trim().Length == 0)
        {
            return false;
        }

        var text = value.Trim();
        return TrueWords.Contains(text) || (!FalseWords.Contains(text) && Fail(errors, input, value, Boolean, false));
    }

    private static T Fail<T>(ImmutableArray<AnnotationError>.Builder errors, string input, string value, string expected, T fallback)
    {
        errors.Add(new AnnotationError(input, value, expected));
        return fallback;
    }

    [GeneratedRegex(@"^[a-zA-Z][a-zA-Z0-9_.-]*\z", RegexOptions.CultureInvariant)]
    private static partial Regex InterfaceName();
}
