using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Akka.DistributedData;
using Akka.TestKit;
using IstioPodNetwork.Actors.Namespaces;
using IstioPodNetwork.Actors.Pods;
using Xunit.Abstractions;

namespace IstioPodNetwork.Actors.Tests;

/// <summary>The replica in a one-member cluster of its own, as on an agent that has just formed one.</summary>
public abstract class OptedInNamespacesReplicaSpec : Akka.TestKit.Xunit2.TestKit
{
    protected OptedInNamespacesReplicaSpec(TimeSpan notifyInterval, ITestOutputHelper output)
        : base(
            ConfigurationFactory.ParseString($$"""
                akka.actor.provider = cluster
                akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
                akka.cluster.distributed-data.notify-subscribers-interval = {{notifyInterval.TotalMilliseconds}}ms
                """).WithFallback(SpecConfig.LoadTolerant),
            output: output)
    {
        Supervisor = CreateTestProbe("supervisor");
    }

    protected TestProbe Supervisor { get; }

    protected IActorRef Replicator => DistributedData.Get(Sys).Replicator;

    protected async Task<IActorRef> StartReplicaAsync()
    {
        var cluster = Cluster.Get(Sys);
        await cluster.JoinAsync(cluster.SelfAddress);
        return Sys.ActorOf(OptedInNamespacesReplica.Props(Supervisor));
    }

    protected static OptedInNamespacesChanged Set(params string[] namespaces) => new([.. namespaces]);

    protected async Task<ImmutableHashSet<string>> ToldAsync() =>
        (await Supervisor.ExpectMsgAsync<OptedInNamespacesChanged>()).Namespaces;
}

public sealed class OptedInNamespacesReplicaWithSlowNotificationsSpecs(ITestOutputHelper output)
    : OptedInNamespacesReplicaSpec(TimeSpan.FromSeconds(30), output)
{
    [Fact]
    public async Task The_watchers_node_acts_on_a_new_set_at_once_not_at_the_replicators_next_notification()
    {
        var replica = await StartReplicaAsync();

        replica.Tell(Set("shop"));

        // The replicator would notify only after 30 s: what arrives sooner came straight from the replica.
        var told = await Supervisor.ExpectMsgAsync<OptedInNamespacesChanged>(TimeSpan.FromSeconds(10));
        Assert.Equal(["shop"], told.Namespaces);
        var stored = await Replicator.Ask<GetSuccess>(Dsl.Get(OptedInNamespacesReplica.Key, ReadLocal.Instance), RemainingOrDefault);
        Assert.Equal("shop", stored.Get(OptedInNamespacesReplica.Key).Value);
    }
}

public sealed class OptedInNamespacesReplicaSpecs(ITestOutputHelper output)
    : OptedInNamespacesReplicaSpec(TimeSpan.FromMilliseconds(100), output)
{
    [Fact]
    public async Task Quick_successive_sets_reach_the_supervisor_in_order_and_an_older_one_never_comes_back()
    {
        var replica = await StartReplicaAsync();
        string[][] sets = [["a"], ["a", "b"], ["b"], ["b", "c"], ["a", "b", "c"]];

        foreach (var set in sets)
        {
            replica.Tell(Set(set));
        }

        foreach (var set in sets)
        {
            Assert.Equal(set.Order(), (await ToldAsync()).Order());
        }

        // Past every notification round that could still carry an older value.
        await Supervisor.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task A_set_that_arrives_while_the_register_is_read_back_is_not_undone_by_that_read()
    {
        var replica = await StartReplicaAsync();

        // Each new set lands while the previous write's answer and read-back are on their way.
        for (var i = 0; i < 300; i++)
        {
            replica.Tell(Set($"ns{i}"));
            Assert.Equal([$"ns{i}"], await ToldAsync());
        }

        await Supervisor.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task A_set_written_by_another_nodes_watcher_reaches_this_nodes_supervisor()
    {
        var replica = await StartReplicaAsync();
        replica.Tell(Set("shop"));
        Assert.Equal(["shop"], await ToldAsync());

        // What a singleton that moved to another node writes, as it reaches this node's replicator.
        var elsewhere = new UniqueAddress(new Address("akka.tcp", Sys.Name, "10.0.0.9", 4053), 7);
        await Replicator.Ask<UpdateSuccess>(
            Dsl.Update(OptedInNamespacesReplica.Key, new LWWRegister<string>(elsewhere, string.Empty), WriteLocal.Instance, register => register.WithValue(elsewhere, "bank\nshop")),
            RemainingOrDefault);

        Assert.Equal(["bank", "shop"], (await ToldAsync()).Order());
    }
}
