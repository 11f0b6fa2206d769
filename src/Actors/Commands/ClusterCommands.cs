using System.Collections.Immutable;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster;

namespace IstioPodNetwork.Actors.Commands;

/// <summary>`cluster …`: see and steer the agents' cluster from this node's point of view.</summary>
public static class ClusterCommands
{
    private static readonly CommandParameter<Address> MemberAddress = CommandParameters.Argument(
        "ADDRESS", "The member to down, as `cluster show` prints it.", ValueParsers.MemberAddress);

    public static CommandPalette Palette { get; } = new("cluster",
    [
        new("cluster show", "List the members: address, node, status, reachability, roles, up since (when its agent started); then a count.", [], ShowAsync),
        new("cluster status", "This node's view: its address and status, the leader, members by status, the unreachable ones.", [], StatusAsync),
        new("cluster leader", "The current leader.", [], LeaderAsync),
        new("cluster leave", "Make this node leave the cluster gracefully; its agent then stops.", [], LeaveAsync),
        new("cluster down", "Mark a member down (it is removed and its agent stops).", [MemberAddress], DownAsync),
        new("cluster down-unreachable", "Mark every member this node sees as unreachable down.", [], DownUnreachableAsync),
        new("cluster tail", "Print membership events as they happen, until interrupted (Ctrl-C).", [], TailAsync),
    ]);

    private static async Task ShowAsync(CommandContext context)
    {
        var state = Cluster.Get(context.System).State;
        var members = state.Members.OrderBy(m => m.Address.ToString(), StringComparer.Ordinal).ToList();
        await context.WriteAsync(TableRecord.Of(
            "members",
            members.Select(m => new MemberRow(
                m.Address.ToString(),
                MemberRoles.NodeName(m),
                StatusName(m.Status),
                state.Unreachable.Contains(m) ? "unreachable" : "reachable",
                MemberRoles.Plain(m),
                MemberRoles.Since(m))),
            $"Count: {Naming.Count(members.Count, "member")} ({ByStatus(members)})"));
    }

    private static async Task StatusAsync(CommandContext context)
    {
        var cluster = Cluster.Get(context.System);
        var state = cluster.State;
        await context.WriteAsync(ObjectRecord.Of("status", new StatusView(
            cluster.SelfAddress.ToString(),
            MemberRoles.NodeName(cluster.SelfMember),
            StatusName(cluster.SelfMember.Status),
            state.Leader?.ToString(),
            state.Members.Count,
            state.Members.GroupBy(m => StatusName(m.Status)).ToImmutableSortedDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            [.. state.Unreachable.Select(m => m.Address.ToString()).Order(StringComparer.Ordinal)])));
    }

    private static async Task LeaderAsync(CommandContext context)
    {
        var state = Cluster.Get(context.System).State;
        var leader = state.Members.FirstOrDefault(m => m.Address.Equals(state.Leader));
        await context.WriteAsync(ObjectRecord.Of("leader", new LeaderView(state.Leader?.ToString(), leader is null ? null : MemberRoles.NodeName(leader))));
    }

    private static async Task LeaveAsync(CommandContext context)
    {
        var cluster = Cluster.Get(context.System);
        cluster.Leave(cluster.SelfAddress);
        await context.WriteAsync(new MessageRecord($"{Describe(cluster.SelfMember)} is leaving the cluster; its agent stops once it has left"));
    }

    private static async Task DownAsync(CommandContext context)
    {
        var cluster = Cluster.Get(context.System);
        var address = context.Get(MemberAddress);
        var member = cluster.State.Members.FirstOrDefault(m => m.Address.Equals(address))
            ?? throw new CommandFailedException($"{address} is not a member of the cluster as {cluster.SelfAddress} sees it (see 'ipnc cluster show')");
        cluster.Down(member.Address);
        await context.WriteAsync(new MessageRecord($"downing {Describe(member)}"));
    }

    private static async Task DownUnreachableAsync(CommandContext context)
    {
        var cluster = Cluster.Get(context.System);
        var unreachable = cluster.State.Unreachable.OrderBy(m => m.Address.ToString(), StringComparer.Ordinal).ToList();
        foreach (var member in unreachable)
        {
            cluster.Down(member.Address);
        }

        await context.WriteAsync(TableRecord.Of(
            "downed",
            unreachable.Select(m => new DownedRow(m.Address.ToString(), MemberRoles.NodeName(m))),
            $"downed {Naming.Count(unreachable.Count, "unreachable member")}"));
    }

    private static async Task TailAsync(CommandContext context)
    {
        var channel = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
        var forwarder = context.System.ActorOf(ClusterEventForwarder.Props(channel.Writer));
        try
        {
            await foreach (var item in channel.Reader.ReadAllAsync(context.Cancellation))
            {
                var now = DateTimeOffset.UtcNow;
                var record = item switch
                {
                    ClusterEvent.CurrentClusterState state => new NoticeRecord(
                        $"watching membership events of {Cluster.Get(context.System).SelfAddress} ({Naming.Count(state.Members.Count, "member")}); Ctrl-C to stop"),
                    ClusterEvent.IMemberEvent e => MemberEvent(now, e, e.Member),
                    ClusterEvent.ReachabilityEvent e => MemberEvent(now, e, e.Member),
                    ClusterEvent.LeaderChanged e => EventRecord.Of(new EventRow(now, EventName(e), e.Leader?.ToString(), null, null)),
                    _ => (ResponseRecord?)null,
                };
                if (record is not null)
                {
                    await context.WriteAsync(record);
                }
            }
        }
        finally
        {
            context.System.Stop(forwarder);
        }
    }

    private static EventRecord MemberEvent(DateTimeOffset now, object e, Member member) =>
        EventRecord.Of(new EventRow(now, EventName(e), member.Address.ToString(), MemberRoles.NodeName(member), StatusName(member.Status)));

    private static string Describe(Member member) =>
        MemberRoles.NodeName(member) is { } node ? $"{member.Address} (node {node})" : member.Address.ToString();

    private static string ByStatus(IEnumerable<Member> members) =>
        string.Join(", ", members.GroupBy(m => StatusName(m.Status)).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}"));

    /// <summary>Up → up, WeaklyUp → weakly-up.</summary>
    private static string StatusName(MemberStatus status) => Naming.Words(status.ToString(), '-');

    /// <summary>MemberJoined → member-joined, UnreachableMember → unreachable-member.</summary>
    private static string EventName(object e) => Naming.Words(e.GetType().Name, '-');

    private sealed record MemberRow(string Address, string? Node, string Status, string Reachability, ImmutableArray<string> Roles, DateTimeOffset? UpSince);

    private sealed record StatusView(
        string Self,
        string? Node,
        string Status,
        string? Leader,
        int Members,
        ImmutableSortedDictionary<string, int> ByStatus,
        ImmutableArray<string> Unreachable);

    private sealed record LeaderView(string? Leader, string? Node);

    private sealed record DownedRow(string Address, string? Node);

    private sealed record EventRow(DateTimeOffset Time, string Event, string? Address, string? Node, string? Status);
}
