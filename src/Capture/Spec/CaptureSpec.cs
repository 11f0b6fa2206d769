using System.Collections.Immutable;

namespace IstioPodNetwork.Capture.Spec;

public enum InterceptionMode
{
    /// <summary>Inbound is NATed to the inbound capture port (Istio's default).</summary>
    Redirect,

    /// <summary>Inbound keeps its original destination and is delivered to a transparent listener (mangle TPROXY + policy routing).</summary>
    Tproxy,
}

public enum IpFamily
{
    IPv4,
    IPv6,
}

/// <summary>Which ports a capture direction covers: all of them, none, or a list.</summary>
public sealed record PortSelection
{
    private PortSelection(bool all, ImmutableArray<ushort> ports)
    {
        IsAll = all;
        Ports = ports;
    }

    public static PortSelection All { get; } = new(true, []);

    public static PortSelection None { get; } = new(false, []);

    public bool IsAll { get; }

    /// <summary>The listed ports; empty for <see cref="All"/> and <see cref="None"/>.</summary>
    public ImmutableArray<ushort> Ports { get; }

    public bool IsNone => !IsAll && Ports.IsEmpty;

    public static PortSelection Of(IEnumerable<ushort> ports)
    {
        var list = ports.ToImmutableArray();
        return list.IsEmpty ? None : new PortSelection(false, list);
    }

    public bool Equals(PortSelection? other) => other is not null && IsAll == other.IsAll && Ports.SequenceEqual(other.Ports);

    public override int GetHashCode() => HashCode.Combine(IsAll, Ports.Length);

    public override string ToString() => IsAll ? "*" : string.Join(",", Ports);
}

/// <summary>Which destinations outbound capture covers: all of them (<c>*</c>) or a list of CIDRs (empty: none).</summary>
public sealed record CidrSelection
{
    private CidrSelection(bool all, ImmutableArray<Cidr> ranges)
    {
        IsAll = all;
        Ranges = ranges;
    }

    public static CidrSelection All { get; } = new(true, []);

    public bool IsAll { get; }

    public ImmutableArray<Cidr> Ranges { get; }

    public static CidrSelection Of(IEnumerable<Cidr> ranges) => new(false, ranges.ToImmutableArray());

    public bool Equals(CidrSelection? other) => other is not null && IsAll == other.IsAll && Ranges.SequenceEqual(other.Ranges);

    public override int GetHashCode() => HashCode.Combine(IsAll, Ranges.Length);

    public override string ToString() => IsAll ? "*" : string.Join(",", Ranges);
}

/// <summary>
/// What "capture this pod's traffic" means, fully parsed: the input of the rule builder.
/// Built only by <see cref="CaptureSpecParser"/>, so every value in it has been checked.
/// </summary>
public sealed record CaptureSpec(
    InterceptionMode Mode,
    ushort OutboundCapturePort,
    ushort InboundCapturePort,
    ushort TunnelPort,
    uint ProxyUid,
    uint ProxyGid,
    PortSelection InboundPorts,
    ImmutableArray<ushort> ExcludedInboundPorts,
    ImmutableArray<ushort> IncludedOutboundPorts,
    ImmutableArray<ushort> ExcludedOutboundPorts,
    CidrSelection IncludedOutboundRanges,
    ImmutableArray<Cidr> ExcludedOutboundRanges,
    ImmutableArray<string> ExcludedInterfaces,
    ImmutableArray<string> RerouteVirtualInterfaces,
    bool CaptureDns,
    bool DropInvalid,
    ImmutableArray<IpFamily> Families)
{
    /// <summary>Istio's TPROXY mark (1337): marks diverted inbound packets and selects the policy-routing table.</summary>
    public const uint TproxyMark = 1337;

    /// <summary>The policy-routing table TPROXY-marked packets are looked up in.</summary>
    public const int TproxyRouteTable = 133;

    /// <summary>Marks the proxy's own connections to the app in TPROXY mode (Istio's OutboundMark).</summary>
    public const uint OutboundMark = 1338;

    /// <summary>The istio-agent DNS proxy port DNS capture redirects to.</summary>
    public const ushort DnsProxyPort = 15053;

    /// <summary>The UID and GID of the proxy when the istio-proxy container sets none (or 0).</summary>
    public const uint DefaultProxyId = 1337;

    public bool Equals(CaptureSpec? other) =>
        other is not null
        && Mode == other.Mode
        && OutboundCapturePort == other.OutboundCapturePort
        && InboundCapturePort == other.InboundCapturePort
        && TunnelPort == other.TunnelPort
        && ProxyUid == other.ProxyUid
        && ProxyGid == other.ProxyGid
        && InboundPorts.Equals(other.InboundPorts)
        && ExcludedInboundPorts.SequenceEqual(other.ExcludedInboundPorts)
        && IncludedOutboundPorts.SequenceEqual(other.IncludedOutboundPorts)
        && ExcludedOutboundPorts.SequenceEqual(other.ExcludedOutboundPorts)
        && IncludedOutboundRanges.Equals(other.IncludedOutboundRanges)
        && ExcludedOutboundRanges.SequenceEqual(other.ExcludedOutboundRanges)
        && ExcludedInterfaces.SequenceEqual(other.ExcludedInterfaces)
        && RerouteVirtualInterfaces.SequenceEqual(other.RerouteVirtualInterfaces)
        && CaptureDns == other.CaptureDns
        && DropInvalid == other.DropInvalid
        && Families.SequenceEqual(other.Families);

    public override int GetHashCode() => HashCode.Combine(Mode, OutboundCapturePort, ProxyUid, ProxyGid, InboundPorts, IncludedOutboundRanges, CaptureDns, DropInvalid);
}
