using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using IstioPodNetwork.KubeSim.Net;
using Microsoft.Extensions.Logging;

namespace IstioPodNetwork.KubeSim.Sandbox;

/// <summary>
/// Real sandboxes. Per node: netns "&lt;prefix&gt;-node-&lt;name&gt;" with bridge cbr0 holding the pod gateway
/// (and, with an uplink, a veth "&lt;prefix&gt;u&lt;index&gt;" from the caller's bridge whose node end "uplink" holds
/// the node IP). Per pod: netns "&lt;prefix&gt;-pod-&lt;uid&gt;" (made in-process, <see cref="NamedNetns"/>) whose eth0
/// is a veth from the node's cbr0 holding the pod IP (default route via the gateway, lo up), and a pause process
/// (<see cref="SandboxShim"/>) in that netns and in a kubelet-like cgroup carrying the pod UID in every configured
/// hierarchy.
/// </summary>
internal sealed class NetnsSandboxProvider(string prefix, string cgroupMount, IReadOnlyList<string> hierarchies, UplinkOptions? uplink, ILogger logger) : ISandboxProvider
{
    private const string NodeBridge = "cbr0";
    private readonly ConcurrentDictionary<string, Made> made = new();

    public async Task<string?> CreateNodeAsync(NodePlan plan, CancellationToken cancellationToken)
    {
        var netns = $"{prefix}-node-{plan.Name}";
        await Command.IpAsync("netns", "add", netns);
        try
        {
            var commands = new List<string>
            {
                "link set lo up",
                $"link add {NodeBridge} type bridge",
                $"addr add {plan.Gateway}/{plan.PodPrefixLength} dev {NodeBridge}",
                $"link set {NodeBridge} up",
            };
            if (uplink is null)
            {
                commands.Add($"addr add {plan.NodeIp}/32 dev lo");
            }

            await Command.IpBatchAsync(netns, commands, cancellationToken);
            if (uplink is not null)
            {
                var rootEnd = $"{prefix}u{plan.Index}";
                await Command.IpAsync("link", "add", rootEnd, "type", "veth", "peer", "name", "uplink", "netns", netns);
                await Command.IpAsync("link", "set", rootEnd, "master", uplink.Bridge, "up");
                await Command.IpBatchAsync(netns, [$"addr add {plan.NodeIp}/{plan.UplinkPrefixLength} dev uplink", "link set uplink up"], cancellationToken);
            }
        }
        catch
        {
            await DeleteNetnsAsync(netns);
            throw;
        }

        logger.LogInformation("Node {Node}: netns {Netns}, bridge {Bridge} {Gateway}/{Length}, node IP {NodeIp}", plan.Name, netns, NodeBridge, plan.Gateway, plan.PodPrefixLength, plan.NodeIp);
        return netns;
    }

    public Task RemoveNodeAsync(SimulatedNode node) =>
        node.NetnsName is null ? Task.CompletedTask : DeleteNetnsAsync(node.NetnsName);

    public async Task<PodSandbox> CreatePodAsync(PodPlan plan, CancellationToken cancellationToken)
    {
        var netns = $"{prefix}-pod-{plan.Uid}";
        var hostVeth = "veth" + plan.Uid.Replace("-", string.Empty, StringComparison.Ordinal)[..11];
        var containerId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var directories = CgroupLayout.Directories(plan.Node.CgroupDriver, plan.QosClass, plan.Uid, containerId);
        var sandbox = new PodSandbox(plan.Namespace, plan.Name, plan.Uid, plan.Node.Name, [plan.PodIp], netns, null, directories[^1], containerId);
        await NamedNetns.CreateAsync(netns);
        var parts = made[plan.Uid] = new Made(directories);

        // The pause process is placed (kubesim-sandbox says how) while the netns is wired: neither waits for the other.
        var placed = SandboxShim.StartAsync(NamedNetns.PathOf(netns), hierarchies.Select(h => Path.Combine(cgroupMount, h) + directories[^1]));
        SandboxShim shim;
        try
        {
            await Rtnetlink.RunInAsync(plan.Node.NetnsName!, node => node.AddVethPair(hostVeth, NodeBridge, "eth0", netns));
            await Rtnetlink.RunInAsync(netns, pod =>
            {
                pod.SetUp("lo");
                pod.AddAddress("eth0", plan.PodIp, plan.PrefixLength);
                pod.SetUp("eth0");
                pod.AddDefaultRoute(plan.Node.Gateway);
            });
            parts.Shim = shim = await placed;
        }
        catch
        {
            // Removal must not race the placing, or it could leave a directory the helper made after it.
            await ((Task)placed).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            parts.Shim = placed.IsCompletedSuccessfully ? placed.Result : null;
            await RemovePodAsync(sandbox);
            throw;
        }

        sandbox = sandbox with { Pid = shim.PausePid };
        logger.LogInformation("Pod {Namespace}/{Name} ({Uid}): netns {Netns}, IP {Ip}, pid {Pid}, cgroup {Cgroup}", plan.Namespace, plan.Name, plan.Uid, netns, plan.PodIp, sandbox.Pid, sandbox.CgroupPath);
        return sandbox;
    }

    /// <summary>Ends the pause process, removes its cgroup directories leaf first (shared parents only when empty), then the netns (and with it the veth pair).</summary>
    public async Task RemovePodAsync(PodSandbox sandbox)
    {
        if (made.TryRemove(sandbox.Uid, out var parts))
        {
            if (parts.Shim is not null)
            {
                await parts.Shim.DisposeAsync();
            }

            foreach (var hierarchy in hierarchies)
            {
                foreach (var directory in parts.Directories.Reverse())
                {
                    RemoveCgroup(Path.Combine(cgroupMount, hierarchy) + directory);
                }
            }
        }

        if (sandbox.NetnsName is not null)
        {
            await DeleteNetnsAsync(sandbox.NetnsName);
        }
    }

    private void RemoveCgroup(string directory)
    {
        try
        {
            Directory.Delete(directory);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (IOException e)
        {
            // A shared parent (kubepods, a QoS level) still holds other pods: it stays.
            logger.LogDebug("cgroup {Directory} kept: {Reason}", directory, e.Message);
        }
    }

    private async Task DeleteNetnsAsync(string netns)
    {
        try
        {
            await Command.IpAsync("netns", "delete", netns);
        }
        catch (InvalidOperationException e)
        {
            logger.LogWarning("Could not delete netns {Netns}: {Reason}", netns, e.Message);
        }
    }

    /// <summary>What removal takes away: the cgroup directories, and the pause process once it was placed.</summary>
    private sealed class Made(IReadOnlyList<string> directories)
    {
        public IReadOnlyList<string> Directories { get; } = directories;

        public SandboxShim? Shim { get; set; }
    }
}
