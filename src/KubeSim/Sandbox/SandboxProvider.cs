using System.Net;

namespace IstioPodNetwork.KubeSim.Sandbox;

/// <summary>What the simulated kubelet needs to set up a node.</summary>
internal sealed record NodePlan(string Name, int Index, IPAddress NodeIp, IPAddress Gateway, int PodPrefixLength, int? UplinkPrefixLength);

/// <summary>What the simulated kubelet needs to set up a pod.</summary>
internal sealed record PodPlan(string Namespace, string Name, string Uid, string QosClass, SimulatedNode Node, IPAddress PodIp, int PrefixLength);

/// <summary>Makes and removes what runs a pod on this machine.</summary>
internal interface ISandboxProvider
{
    /// <summary>Prepares the node; returns its network namespace name, or null when the provider makes none.</summary>
    Task<string?> CreateNodeAsync(NodePlan plan, CancellationToken cancellationToken);

    Task RemoveNodeAsync(SimulatedNode node);

    Task<PodSandbox> CreatePodAsync(PodPlan plan, CancellationToken cancellationToken);

    Task RemovePodAsync(PodSandbox sandbox);
}

/// <summary>Creates nothing: pods get their IPs and reach Running with no root needed.</summary>
internal sealed class NoSandboxProvider : ISandboxProvider
{
    public Task<string?> CreateNodeAsync(NodePlan plan, CancellationToken cancellationToken) => Task.FromResult<string?>(null);

    public Task RemoveNodeAsync(SimulatedNode node) => Task.CompletedTask;

    public Task<PodSandbox> CreatePodAsync(PodPlan plan, CancellationToken cancellationToken) =>
        Task.FromResult(new PodSandbox(plan.Namespace, plan.Name, plan.Uid, plan.Node.Name, [plan.PodIp], null, null, null, null));

    public Task RemovePodAsync(PodSandbox sandbox) => Task.CompletedTask;
}
