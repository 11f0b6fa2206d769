using Akka;
using Akka.Actor;
using Akka.Hosting;
using IstioPodNetwork.Actors.Commands;
using IstioPodNetwork.Host.Configuration;
using IstioPodNetwork.Host.Logging;

namespace IstioPodNetwork.Host.Commands;

public static class CommandEndpointHosting
{
    /// <summary>
    /// The configured roles plus the ones through which every member knows this
    /// agent's node name and start time (<see cref="Actors.Commands.MemberRoles"/>),
    /// quoted because ClusterOptions writes roles into HOCON as they are.
    /// </summary>
    public static string[] MemberRoles(LayeredConfig config, AgentSettings settings) =>
    [
        .. config.Config.GetStringList("akka.cluster.roles")
            .Concat(Actors.Commands.MemberRoles.Describing(settings.NodeName, DateTimeOffset.UtcNow))
            .Select(role => role.ToHocon()),
    ];

    /// <summary>
    /// Serves the operator commands on 127.0.0.1:<see cref="AgentSettings.CommandPort"/>
    /// once the actor system runs, with the cluster, pods, actor and log palettes
    /// (more can be added any time through <see cref="CommandPalettes"/>), and stops
    /// serving at the very end of coordinated shutdown, so `cluster tail` sees this node leave.
    /// </summary>
    public static AkkaConfigurationBuilder WithCommandEndpoint(this AkkaConfigurationBuilder builder, AgentSettings settings) =>
        builder.AddStartup((system, _) =>
        {
            var palettes = CommandPalettes.Get(system);
            palettes.Register(ClusterCommands.Palette);
            palettes.Register(PodCommands.Palette);
            palettes.Register(ActorCommands.Palette);
            palettes.Register(LogCommands.Palette(RecentLogs.Agent));
            var endpoint = CommandEndpoint.Start(system, palettes, settings.CommandPort);
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "stop-command-endpoint", async () =>
            {
                await endpoint.DisposeAsync();
                return Done.Instance;
            });
        });
}
