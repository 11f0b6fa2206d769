using System.Collections.Immutable;
using Akka.Actor;
using IstioPodNetwork.Actors.Pods;
using IstioPodNetwork.Actors.Status;

namespace IstioPodNetwork.Actors.Commands;

/// <summary>`pods`, `pod describe`, `pod retry`: the opted-in pods and their state machines.</summary>
public static class PodCommands
{
    private static readonly CommandParameter<string?> NodeFilter = CommandParameters.Option(
        "--node", "NODE", "Only the pods of this node.", ValueParsers.Word, null);

    private static readonly CommandParameter<string?> NamespaceFilter = CommandParameters.Option(
        "-n|--namespace", "NS", "Only the pods of this namespace.", ValueParsers.Word, null);

    private static readonly CommandParameter<PodState?> StateFilter = CommandParameters.Option(
        "--state", "STATE", "Only the pods in this state.", ValueParsers.OneOf<PodState>(), null);

    private static readonly CommandParameter<PodName> Pod = CommandParameters.Argument(
        "NS/NAME", "The pod, as namespace/name.", ValueParsers.Pod);

    public static CommandPalette Palette { get; } = new("pods",
    [
        new("pods", "List the opted-in pods with their node, state, since when and last error; then counts by state.", [NodeFilter, NamespaceFilter, StateFilter], ListAsync),
        new("pod describe", "One pod: its state, last error, the rules in force and its recent state transitions with times and errors.", [Pod], DescribeAsync),
        new("pod retry", "Program a pod again, even one that gave up after its retries.", [Pod], RetryAsync),
    ]);

    private static async Task ListAsync(CommandContext context)
    {
        var node = context.Get(NodeFilter);
        var ns = context.Get(NamespaceFilter);
        var state = context.Get(StateFilter);
        var pods = (await PodStatusesAsync(context)).Pods
            .Where(p => (node is null || p.Node == node) && (ns is null || p.Pod.Namespace == ns) && (state is null || p.State == state))
            .OrderBy(p => p.Pod.Namespace, StringComparer.Ordinal)
            .ThenBy(p => p.Pod.Name, StringComparer.Ordinal)
            .ToList();
        var byState = string.Join(", ", pods.GroupBy(p => p.State).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key}"));
        await context.WriteAsync(TableRecord.Of(
            "pods",
            pods.Select(p => new PodRow(p.Pod.Namespace, p.Pod.Name, p.Node, p.State, p.Since, p.LastError)),
            pods.Count == 0 ? "0 pods" : $"{Naming.Count(pods.Count, "pod")} ({byState})"));
    }

    private static async Task DescribeAsync(CommandContext context)
    {
        var known = await FindAsync(context, context.Get(Pod));
        var entry = known.Local
            ? known.Entry
            : (await AgentActors.AskOnNodeAsync<PodStatusesResult>(context.System, known.Entry.Node, AgentActors.NodeStatus, new GetPodStatuses(), context.Cancellation))
                .Pods.FirstOrDefault(p => p.Pod.Uid == known.Entry.Pod.Uid) ?? known.Entry;
        await context.WriteAsync(ObjectRecord.Of("pod", new PodView(
            entry.Pod.Namespace, entry.Pod.Name, entry.Pod.Uid, entry.Node, entry.State, entry.Since, entry.GaveUp, entry.LastError, entry.RulesInForce)));
        await context.WriteAsync(TableRecord.Of(
            "history",
            entry.History.Select(h => new TransitionRow(h.At, h.From, h.To, h.Error)),
            $"{Naming.Count(entry.History.Count, "transition")} (the last {NodeStatus.HistoryLength} are kept)"));
    }

    private static async Task RetryAsync(CommandContext context)
    {
        var name = context.Get(Pod);
        var retry = new RetryPod(name.Namespace, name.Name);
        var known = await FindAsync(context, name);
        var result = known.Local
            ? await AgentActors.AskAsync<RetryPodResult>(context.System, AgentActors.PodSupervisor, retry, "pod retry", context.Cancellation)
            : await AgentActors.AskOnNodeAsync<RetryPodResult>(context.System, known.Entry.Node, AgentActors.PodSupervisor, retry, context.Cancellation);
        await context.WriteAsync(result.Accepted ? new MessageRecord(result.Message) : throw new CommandFailedException(result.Message));
    }

    /// <summary>
    /// Where every pod command reads pod states: every node's pods as replicated, with this node's own
    /// taken fresh from its <see cref="NodeStatus"/> (what the replica holds of this node may lag, or
    /// be left from before a restart).
    /// </summary>
    private static async Task<(string LocalNode, ImmutableArray<PodStatusEntry> Pods)> PodStatusesAsync(CommandContext context)
    {
        var local = await AgentActors.AskAsync<PodStatusesResult>(context.System, AgentActors.NodeStatus, new GetPodStatuses(), "pod states", context.Cancellation);
        var cluster = await AgentActors.ClusterPodStatusesAsync(context.System, context.Cancellation);
        return (local.Node, [.. local.Pods, .. (cluster?.Pods ?? []).Where(p => p.Node != local.Node)]);
    }

    /// <summary>The newest pod of that name anywhere in the cluster, and whether it is on this node.</summary>
    private static async Task<(PodStatusEntry Entry, bool Local)> FindAsync(CommandContext context, PodName name)
    {
        var (localNode, pods) = await PodStatusesAsync(context);
        var entry = pods
            .Where(p => p.Pod.Namespace == name.Namespace && p.Pod.Name == name.Name)
            .MaxBy(p => p.Since)
            ?? throw new CommandFailedException($"pod {name} is not known to the cluster (see 'ipnc pods')");
        return (entry, entry.Node == localNode);
    }

    private sealed record PodRow(string Namespace, string Name, string Node, PodState State, DateTimeOffset Since, string? LastError);

    private sealed record PodView(
        string Namespace,
        string Name,
        string Uid,
        string Node,
        PodState State,
        DateTimeOffset Since,
        bool GaveUp,
        string? LastError,
        string? RulesInForce);

    private sealed record TransitionRow(DateTimeOffset At, PodState From, PodState To, string? Error);
}
