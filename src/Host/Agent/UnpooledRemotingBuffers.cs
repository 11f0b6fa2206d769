namespace IstioPodNetwork.Host.Agent;

/// <summary>
/// Akka.Remote's connections read into buffers of their own rather than into DotNetty's pool. Akka.Remote gives its
/// outbound channels and its listening channel the unpooled allocator, but not the channels it accepts: those take
/// DotNetty's default, a pool that reserves memory in 16 MiB chunks per arena. In a cluster every agent accepts
/// connections from its peers, and each such agent kept one or two chunks resident for good, for a few gossip and
/// heartbeat messages a second (bench/Cluster.Bench, 10 agents at rest: median 150 instead of 164-171 MiB). DotNetty
/// reads its choice from the environment (io.netty.allocator.type) once, when its buffers are first used, so it is set
/// here before the actor system starts; an environment that sets it already keeps its choice.
/// </summary>
internal static class UnpooledRemotingBuffers
{
    internal const string Variable = "io.netty.allocator.type";

    public static void Install()
    {
        if (Environment.GetEnvironmentVariable(Variable) is null)
        {
            Environment.SetEnvironmentVariable(Variable, "unpooled");
        }
    }
}
