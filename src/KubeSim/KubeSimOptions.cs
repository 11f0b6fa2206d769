using System.Net;
using Microsoft.Extensions.Logging;

namespace IstioPodNetwork.KubeSim;

/// <summary>What a pod's sandbox is made of.</summary>
public enum SandboxKind
{
    /// <summary>No sandbox: pods get IPs and reach Running, nothing is created on the machine (no root needed).</summary>
    None,

    /// <summary>Real network namespaces, veths, bridges, a process and kubelet-like cgroups (root only).</summary>
    Netns,
}

/// <summary>How the simulated kubelet lays out pod cgroups (its --cgroup-driver).</summary>
public enum CgroupDriver
{
    /// <summary>kubepods/besteffort/pod&lt;uid&gt;/&lt;container id&gt;</summary>
    Cgroupfs,

    /// <summary>kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod&lt;uid_&gt;.slice/cri-containerd-&lt;id&gt;.scope</summary>
    Systemd,
}

/// <summary>
/// Joins every simulated node to a bridge in the root network namespace that the caller made: each node
/// netns gets a veth into <see cref="Bridge"/> with an address from <see cref="Cidr"/>, which becomes the
/// node's InternalIP. Processes run inside a node netns can then reach a KubeSim listening on the bridge.
/// </summary>
/// <param name="Bridge">The caller's bridge (never a real interface such as eth0).</param>
/// <param name="Cidr">The bridge's subnet, e.g. "10.77.0.0/24".</param>
/// <param name="FirstHost">Host number of the first node's address in <paramref name="Cidr"/>; the next nodes follow.</param>
public sealed record UplinkOptions(string Bridge, string Cidr, int FirstHost = 10);

/// <summary>Per-node settings of a simulated node.</summary>
public sealed record NodeOptions
{
    /// <summary>Overrides <see cref="KubeSimOptions.CgroupDriver"/> for this node's pods.</summary>
    public CgroupDriver? CgroupDriver { get; init; }

    /// <summary>Extra labels on the Node object.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
}

/// <summary>How to start a KubeSim. Every default suits a parallel test run.</summary>
public sealed record KubeSimOptions
{
    /// <summary>Where to listen: loopback by default. Anything else must be an address of <see cref="ListenInterface"/>.</summary>
    public IPAddress ListenAddress { get; init; } = IPAddress.Loopback;

    /// <summary>0 picks a free port.</summary>
    public int Port { get; init; }

    /// <summary>
    /// Serve HTTPS, as a real API server does, with a certificate authority made for this instance;
    /// the kubeconfig carries it as certificate-authority-data. Off: plain HTTP.
    /// </summary>
    public bool Tls { get; init; }

    /// <summary>The test bridge owning a non-loopback <see cref="ListenAddress"/>; real interfaces (eth0) are refused.</summary>
    public string? ListenInterface { get; init; }

    /// <summary>Where to write the kubeconfig; null writes one into a temporary directory removed on dispose.</summary>
    public string? KubeconfigPath { get; init; }

    /// <summary>Nodes registered at start.</summary>
    public IReadOnlyList<string> Nodes { get; init; } = [];

    public SandboxKind Sandbox { get; init; } = SandboxKind.None;

    /// <summary>The cgroup layout of every node that does not override it.</summary>
    public CgroupDriver CgroupDriver { get; init; } = CgroupDriver.Cgroupfs;

    /// <summary>
    /// The pod network, at most a /23: its first /24 holds node addresses, node i gets the (i+1)-th /24 as its pod range.
    /// Null derives a 10.(200..249).0.0/16 from the process id and a per-process counter, so parallel instances differ.
    /// </summary>
    public string? ClusterCidr { get; init; }

    /// <summary>Connects node netns to a caller-made bridge (only with <see cref="SandboxKind.Netns"/>).</summary>
    public UplinkOptions? Uplink { get; init; }

    /// <summary>Prefix of every netns and interface this instance makes; null picks "ks" plus 4 random hex digits.</summary>
    public string? NamePrefix { get; init; }

    /// <summary>
    /// Hierarchies under /sys/fs/cgroup a sandbox process is placed in, so that every line of its
    /// /proc/PID/cgroup a parser may read shows the kubelet's path. Null takes those of pids, systemd
    /// (name=systemd) and unified (v2) that are mounted, or the root on a pure cgroup v2 machine. Never memory.
    /// </summary>
    public IReadOnlyList<string>? CgroupHierarchies { get; init; }

    /// <summary>How many changes a watch can resume from; older resourceVersions get 410 Expired.</summary>
    public int WatchHistory { get; init; } = 10_000;

    /// <summary>How often a watch that allows bookmarks gets one (the real server: about a minute).</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How long the simulated kubelet takes between a graceful pod delete and its removal.</summary>
    public TimeSpan PodTerminationDelay { get; init; } = TimeSpan.Zero;

    public ILoggerFactory? LoggerFactory { get; init; }
}

/// <summary>A node KubeSim simulates (a kubelet and, with the netns provider, a node network namespace).</summary>
/// <param name="Name">The Node object's name.</param>
/// <param name="InternalIp">status.addresses InternalIP; hostNetwork pods get it as their pod IP.</param>
/// <param name="PodCidr">spec.podCIDR: the node's pods get addresses from it.</param>
/// <param name="Gateway">The pod range's first address, held by the node's bridge.</param>
/// <param name="NetnsName">The node's network namespace (annotation kubesim.io/netns), or null without sandboxes.</param>
/// <param name="CgroupDriver">The cgroup layout of the node's pods.</param>
public sealed record SimulatedNode(string Name, IPAddress InternalIp, string PodCidr, IPAddress Gateway, string? NetnsName, CgroupDriver CgroupDriver)
{
    public string? NetnsPath => NetnsName is null ? null : $"/run/netns/{NetnsName}";
}

/// <summary>A running pod's sandbox as the simulated kubelet made it.</summary>
/// <param name="Namespace">The pod's namespace.</param>
/// <param name="Name">The pod's name.</param>
/// <param name="Uid">The pod's metadata.uid.</param>
/// <param name="NodeName">The node running it.</param>
/// <param name="PodIps">status.podIPs.</param>
/// <param name="NetnsName">Its network namespace under /run/netns, or null (no sandbox provider, or hostNetwork).</param>
/// <param name="Pid">The sandbox process (it lives in the netns and the cgroup), or null.</param>
/// <param name="CgroupPath">The cgroup path as /proc/&lt;pid&gt;/cgroup shows it, e.g. /kubepods/besteffort/pod&lt;uid&gt;/&lt;id&gt;.</param>
/// <param name="ContainerId">The sandbox container id in <paramref name="CgroupPath"/>.</param>
public sealed record PodSandbox(string Namespace, string Name, string Uid, string NodeName, IReadOnlyList<IPAddress> PodIps, string? NetnsName, int? Pid, string? CgroupPath, string? ContainerId)
{
    public string? NetnsPath => NetnsName is null ? null : $"/run/netns/{NetnsName}";
}
