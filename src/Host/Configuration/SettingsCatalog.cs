using System.Collections.Immutable;
using System.Net;
using IstioPodNetwork.Capture.Programming;
using Serilog.Events;

namespace IstioPodNetwork.Host.Configuration;

public enum Discovery
{
    None,
    Kubernetes,
}

public enum NamespaceWatch
{
    Singleton,
    PerNode,
}

public enum LogFormat
{
    Text,
    Json,
}

/// <summary>Every controller setting, in the order `ipnc agent --help` shows them.</summary>
public static class SettingsCatalog
{
    public static readonly Setting<string> NodeName = new(
        "node-name", "Name of the node this agent serves (spec.nodeName of its pods).", SettingParsers.Text, "NODE_NAME");

    public static readonly Setting<string> Kubeconfig = new(
        "kubeconfig", "Kubeconfig file; empty means in-cluster configuration.", SettingParsers.Text, "KUBECONFIG");

    public static readonly Setting<LogFormat> LogFormat = new(
        "log-format", "Log output: text (readable) or json (one object per line).", SettingParsers.OneOf<LogFormat>());

    public static readonly Setting<LogEventLevel> LogLevel = new(
        "log-level", "Minimum log level.", SettingParsers.OneOf<LogEventLevel>());

    public static readonly Setting<IPAddress> HealthHost = new(
        "health-host", "Address of the /healthz, /readyz and /metrics endpoint.", SettingParsers.Address);

    public static readonly Setting<int> HealthPort = new(
        "health-port", "Port of the /healthz, /readyz and /metrics endpoint.", SettingParsers.Port);

    public static readonly Setting<int> CommandPort = new(
        "command-port", "Port of the operator command endpoint (127.0.0.1 only).", SettingParsers.Port);

    public static readonly Setting<string> RemotingHost = new(
        "remoting-host", "Address other agents reach this one on (the pod IP in a DaemonSet).", SettingParsers.HostName, "POD_IP");

    public static readonly Setting<int> RemotingPort = new(
        "remoting-port", "Akka remoting port (0 picks a free one).", SettingParsers.Port);

    public static readonly Setting<ImmutableArray<string>> Seeds = new(
        "seeds", "Akka addresses of seed agents; empty joins itself. The flag is --seed, repeatable.", SettingParsers.ListOf(SettingParsers.AkkaAddress));

    public static readonly Setting<Discovery> Discovery = new(
        "discovery", "How agents find each other without seeds: kubernetes (the DaemonSet's pods by label selector) or none (join itself).", SettingParsers.OneOf<Discovery>());

    public static readonly Setting<string> DiscoverySelector = new(
        "discovery-selector", "Label selector of the agents' pods, for discovery.", SettingParsers.Text);

    public static readonly Setting<string> DiscoveryNamespace = new(
        "discovery-namespace", "Namespace of the agents' pods; empty reads the service account's namespace.", SettingParsers.Text, "POD_NAMESPACE");

    public static readonly Setting<int> ManagementPort = new(
        "management-port", "Port of Akka Management (cluster bootstrap probes it; the container port named \"management\").", SettingParsers.Port);

    public static readonly Setting<int> RequiredContactPoints = new(
        "required-contact-points", "Contact points to see before a new cluster may be formed.", SettingParsers.IntegerAtLeast(1));

    public static readonly Setting<NamespaceWatch> NamespaceWatch = new(
        "namespace-watch", "Who watches namespaces: singleton (one agent, shared through distributed data) or per-node (every agent).", SettingParsers.OneOf<NamespaceWatch>());

    public static readonly Setting<ImmutableArray<string>> ExcludedNamespaces = new(
        "excluded-namespaces", "Namespaces whose pods are never touched.", SettingParsers.ListOf(SettingParsers.KubernetesName));

    public static readonly Setting<int> MaxConcurrentProgramming = new(
        "max-concurrent-programming", "At most this many pods are programmed at once on a node.", SettingParsers.IntegerAtLeast(1));

    public static readonly Setting<TimeSpan> NetnsWait = new(
        "netns-wait", "How long a pod's network namespace may stay missing before the attempt fails.", SettingParsers.Duration);

    public static readonly Setting<TimeSpan> NetnsRetryInterval = new(
        "netns-retry-interval", "How often a missing network namespace is looked for.", SettingParsers.Duration);

    public static readonly Setting<TimeSpan> BackoffMin = new(
        "backoff-min", "First delay before a failing pod is retried.", SettingParsers.Duration);

    public static readonly Setting<TimeSpan> BackoffMax = new(
        "backoff-max", "Longest delay between retries of a failing pod.", SettingParsers.Duration);

    public static readonly Setting<int> MaxRetries = new(
        "max-retries", "Retries of a failing pod before it stays Failed.", SettingParsers.IntegerAtLeast(0));

    public static readonly Setting<ushort> CaptureOutboundPort = new(
        "capture-outbound-port", "Port the proxy captures outbound TCP on (Envoy's 15001); a pod's pod-network-controller.istio.io/envoy-port overrides it.", CaptureSettings.ListenPort);

    public static readonly Setting<ushort> CaptureInboundPort = new(
        "capture-inbound-port", "Port the proxy captures inbound TCP on (Envoy's 15006).", CaptureSettings.ListenPort);

    public static readonly Setting<ushort> CaptureTunnelPort = new(
        "capture-tunnel-port", "The proxy's tunnel port (15008), never captured.", CaptureSettings.ListenPort);

    public static readonly Setting<ImmutableArray<ushort>> CaptureExcludedInboundPorts = new(
        "capture-excluded-inbound-ports", "Inbound ports never captured, on top of a pod's excludeInboundPorts (15020, 15021, 15090). The flag is --capture-excluded-inbound-port, repeatable.", CaptureSettings.PortList);

    public static readonly Setting<ImmutableArray<ushort>> CaptureExcludedOutboundPorts = new(
        "capture-excluded-outbound-ports", "Outbound ports not captured unless a pod sets excludeOutboundPorts (15020). The flag is --capture-excluded-outbound-port, repeatable.", CaptureSettings.PortList);

    public static readonly Setting<string> ProcRoot = new(
        "proc-root", "Where the host's /proc is mounted (/host/proc in the DaemonSet); pods' network namespaces are found there.", CaptureSettings.AbsolutePath);

    public static readonly Setting<IptablesBackendChoice> IptablesBackend = new(
        "iptables-backend", "auto (per pod netns, as Istio: legacy if it has legacy rules, else nft), legacy or nft.", SettingParsers.OneOf<IptablesBackendChoice>());

    public static ImmutableArray<Setting> All { get; } =
    [
        NodeName, Kubeconfig, LogFormat, LogLevel, HealthHost, HealthPort, CommandPort, RemotingHost, RemotingPort, Seeds,
        Discovery, DiscoverySelector, DiscoveryNamespace, ManagementPort, RequiredContactPoints, NamespaceWatch,
        ExcludedNamespaces, MaxConcurrentProgramming, NetnsWait, NetnsRetryInterval, BackoffMin, BackoffMax, MaxRetries,
        CaptureOutboundPort, CaptureInboundPort, CaptureTunnelPort, CaptureExcludedInboundPorts, CaptureExcludedOutboundPorts, ProcRoot, IptablesBackend,
    ];
}
