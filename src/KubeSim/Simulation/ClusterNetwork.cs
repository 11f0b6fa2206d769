using System.Net;
using IstioPodNetwork.KubeSim.Net;

namespace IstioPodNetwork.KubeSim.Simulation;

/// <summary>
/// The address plan: in the cluster network, the first /24 holds node addresses and node i (from 1) gets the
/// (i+1)-th /24 as its pod range, gateway .1 on the node's bridge. With an uplink, node addresses come from
/// the uplink's subnet instead.
/// </summary>
internal sealed class ClusterNetwork
{
    private const int NodeRangeLength = 24;
    private static int instances;

    private readonly Ipv4Network cluster;
    private readonly Ipv4Network? uplink;
    private readonly int uplinkFirstHost;

    public ClusterNetwork(string? clusterCidr, UplinkOptions? uplinkOptions)
    {
        cluster = clusterCidr is null ? DefaultCluster() : Ipv4Network.Parse(clusterCidr, "cluster CIDR");
        if (cluster.PrefixLength > NodeRangeLength - 1)
        {
            throw new ArgumentException($"cluster CIDR: \"{cluster}\" is too small; expected at most a /{NodeRangeLength - 1} (one /24 for node addresses, one per node)");
        }

        NetworkSafety.CheckNotReal(cluster, "cluster CIDR");
        if (uplinkOptions is not null)
        {
            var parsed = Ipv4Network.Parse(uplinkOptions.Cidr, "uplink CIDR");
            NetworkSafety.CheckNotReal(parsed, "uplink CIDR");
            NetworkSafety.CheckTestInterfaceName(uplinkOptions.Bridge, "uplink bridge");
            uplink = parsed;
            uplinkFirstHost = uplinkOptions.FirstHost;
        }
    }

    public Ipv4Network Cluster => cluster;

    public int MaxNodes => (int)(cluster.Size >> (32 - NodeRangeLength)) - 1;

    public int? UplinkPrefixLength => uplink?.PrefixLength;

    public Ipv4Network PodRange(int index) => cluster.Subnet(index, NodeRangeLength);

    public IPAddress NodeIp(int index) =>
        uplink is { } link ? link.Host(uplinkFirstHost + index - 1) : cluster.Subnet(0, NodeRangeLength).Host(index);

    /// <summary>10.(200..249).0.0/16, different for each instance of this process and, likely, from other processes.</summary>
    private static Ipv4Network DefaultCluster()
    {
        var second = 200 + ((Environment.ProcessId * 7) + Interlocked.Increment(ref instances)) % 50;
        return Ipv4Network.Parse($"10.{second}.0.0/16", "cluster CIDR");
    }
}

/// <summary>Pod addresses of one node: .2 to .254 of its range, one per pod UID.</summary>
internal sealed class IpPool(Ipv4Network range)
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, IPAddress> byUid = [];
    private readonly HashSet<long> used = [];

    public IPAddress Allocate(string uid)
    {
        lock (gate)
        {
            if (byUid.TryGetValue(uid, out var existing))
            {
                return existing;
            }

            for (long host = 2; host < range.Size - 1; host++)
            {
                if (used.Add(host))
                {
                    return byUid[uid] = range.Host(host);
                }
            }

            throw new InvalidOperationException($"the pod range {range} has no free address");
        }
    }

    public void Release(string uid)
    {
        lock (gate)
        {
            if (byUid.Remove(uid, out var address))
            {
                used.Remove(Ipv4Network.ToUInt(address) - range.Base);
            }
        }
    }
}
