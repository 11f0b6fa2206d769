using System.Collections.Immutable;

namespace IstioPodNetwork.Capture.Spec;

/// <summary>Node-level capture defaults (settings), applied to every pod before its annotations.</summary>
/// <param name="OutboundCapturePort">Where outbound TCP is redirected (Envoy's outbound listener, 15001).</param>
/// <param name="InboundCapturePort">Where inbound TCP is redirected (Envoy's inbound listener, 15006).</param>
/// <param name="TunnelPort">Envoy's HBONE tunnel port (15008), never redirected.</param>
/// <param name="ExcludedInboundPorts">Always excluded from inbound capture, on top of the pod's excludeInboundPorts (15020, 15021, 15090).</param>
/// <param name="ExcludedOutboundPorts">Excluded from outbound capture when the pod has no excludeOutboundPorts annotation (15020).</param>
public sealed record CaptureDefaults(
    ushort OutboundCapturePort,
    ushort InboundCapturePort,
    ushort TunnelPort,
    ImmutableArray<ushort> ExcludedInboundPorts,
    ImmutableArray<ushort> ExcludedOutboundPorts)
{
    /// <summary>Istio's own defaults, the ones its CNI plugin applies.</summary>
    public static CaptureDefaults Istio { get; } = new(15001, 15006, 15008, [15020, 15021, 15090], [15020]);
}
