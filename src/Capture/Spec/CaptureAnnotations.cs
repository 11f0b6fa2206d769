namespace IstioPodNetwork.Capture.Spec;

/// <summary>The pod annotations (and istio-proxy inputs) that shape capture, named as Istio and the original project name them.</summary>
public static class CaptureAnnotations
{
    public const string InterceptionMode = "sidecar.istio.io/interceptionMode";
    public const string IncludeOutboundIPRanges = "traffic.sidecar.istio.io/includeOutboundIPRanges";
    public const string ExcludeOutboundIPRanges = "traffic.sidecar.istio.io/excludeOutboundIPRanges";
    public const string IncludeInboundPorts = "traffic.sidecar.istio.io/includeInboundPorts";
    public const string ExcludeInboundPorts = "traffic.sidecar.istio.io/excludeInboundPorts";
    public const string IncludeOutboundPorts = "traffic.sidecar.istio.io/includeOutboundPorts";
    public const string ExcludeOutboundPorts = "traffic.sidecar.istio.io/excludeOutboundPorts";
    public const string ExcludeInterfaces = "traffic.sidecar.istio.io/excludeInterfaces";
    public const string RerouteVirtualInterfaces = "istio.io/reroute-virtual-interfaces";

    /// <summary>Deprecated spelling of <see cref="RerouteVirtualInterfaces"/>, read only when that one is absent (as Istio does).</summary>
    public const string KubevirtInterfaces = "traffic.sidecar.istio.io/kubevirtInterfaces";

    /// <summary>The original istio-pod-network-controller's override of the outbound capture port.</summary>
    public const string EnvoyPort = "pod-network-controller.istio.io/envoy-port";

    /// <summary>Not annotations: the istio-proxy container's inputs, named the way errors show them.</summary>
    public const string ProxyRunAsUser = "istio-proxy securityContext.runAsUser";
    public const string ProxyRunAsGroup = "istio-proxy securityContext.runAsGroup";
    public const string DnsCaptureEnv = "istio-proxy env ISTIO_META_DNS_CAPTURE";
    public const string InvalidDropEnv = "istio-proxy env INVALID_DROP";

    public const string DnsCaptureVariable = "ISTIO_META_DNS_CAPTURE";
    public const string InvalidDropVariable = "INVALID_DROP";
}
