using System.Collections.Immutable;
using System.Net;
using System.Text;
using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using Akka.Management.Cluster.Bootstrap;
using Akka.Management.Cluster.Bootstrap.ContactPoint;
using Akka.Management.Dsl;
using IstioPodNetwork.Host.Configuration;
using IstioPodNetwork.Kube;
using Newtonsoft.Json;
using Serilog;

namespace IstioPodNetwork.Host.Agent;

/// <summary>
/// How this agent joins the others: the seeds it was given; else Akka Cluster Bootstrap over the
/// Kubernetes API (the DaemonSet's pods by label selector, each probed on its "management" port,
/// see <see cref="KubernetesPeerDiscovery"/>); else it forms a cluster of its own.
/// </summary>
/// <remarks>
/// Bootstrap's contact-point route is served by the agent's own <see cref="HttpEndpoint"/> rather than by Akka
/// Management's: that one needs Ceen.Httpd 0.9.9, which the package registry no longer serves, and
/// 0.9.10 is not binary compatible (MissingMethodException on start). Discovery, probing and the
/// join decision remain Akka's; only where the route is hosted differs, and its JSON is Akka's own type.
/// </remarks>
public static class ClusterFormation
{
    /// <summary>The port name Akka's Kubernetes discovery looks for on the agents' pods.</summary>
    public const string ManagementPortName = "management";

    public const string SeedNodesRoute = "/bootstrap/seed-nodes";

    public static AkkaConfigurationBuilder WithClusterFormation(this AkkaConfigurationBuilder builder, AgentSettings settings, KubeApi api)
    {
        if (!settings.Seeds.IsEmpty)
        {
            return builder;
        }

        var formation = settings.Formation;
        if (formation.Discovery == Discovery.None)
        {
            return builder.AddStartup((system, _) => JoinItself(system));
        }

        return builder
            .WithClusterBootstrap(
                bootstrap =>
                {
                    bootstrap.NewClusterEnabled = true;
                    bootstrap.ContactPointDiscovery.ServiceName = "ipnc";
                    bootstrap.ContactPointDiscovery.PortName = ManagementPortName;
                    bootstrap.ContactPointDiscovery.RequiredContactPointsNr = formation.RequiredContactPoints;
                },
                autoStart: false)
            .AddHocon(KubernetesPeerDiscovery.Hocon, HoconAddMode.Prepend)
            .AddHocon($"akka.management.cluster.bootstrap.join-decider.class = \"{typeof(RolloutJoinDecider).AssemblyQualifiedName}\"", HoconAddMode.Prepend)
            .AddStartup(async (system, _) =>
            {
                system.RegisterExtension(new PeerSearchProvider(new PeerSearch(api, PeerSearch.NamespaceOf(formation.Namespace), formation.Selector)));
                var bootstrap = ClusterBootstrap.Get(system);
                var self = new Uri($"http://{settings.RemotingHost}:{formation.ManagementPort}/");
                bootstrap.Routes(ManagementRouteProviderSettings.Create(self, readOnly: true));
                Log.Information("Cluster bootstrap: finding peers by {Selector}, contact point {ContactPoint}", formation.Selector, self);
                await bootstrap.Start();
            });
    }

    /// <summary>Serves bootstrap's contact point on the management port, when discovery is on (null otherwise).</summary>
    public static HttpEndpoint? StartContactPoint(ActorSystem system, AgentSettings settings)
    {
        if (!settings.Seeds.IsEmpty || settings.Formation.Discovery == Discovery.None)
        {
            return null;
        }

        // On the remoting address, where peers reach this agent (the pod IP in a DaemonSet).
        var address = IPAddress.TryParse(settings.RemotingHost, out var parsed) ? parsed : IPAddress.Any;
        return HttpEndpoint.Start(
            "contact point",
            new IPEndPoint(address, settings.Formation.ManagementPort),
            "management-port",
            new Dictionary<string, Func<CancellationToken, Task<HttpReply>>>
            {
                [SeedNodesRoute] = _ => Task.FromResult(new HttpReply(HttpStatusCode.OK, "application/json", Encoding.UTF8.GetBytes(SeedNodes(Cluster.Get(system))))),
            });
    }

    /// <summary>What a contact point tells a probing peer: itself, and the members it could join (Akka's own JSON shape).</summary>
    private static string SeedNodes(Cluster cluster)
    {
        var state = cluster.State;
        var members = cluster.SelfMember.Status is MemberStatus.Down or MemberStatus.Exiting or MemberStatus.Leaving or MemberStatus.Removed
            ? ImmutableList<HttpBootstrapJsonProtocol.ClusterMember>.Empty
            : state.Members
                .Where(m => !state.Unreachable.Contains(m) && m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining)
                .Select(m => new HttpBootstrapJsonProtocol.ClusterMember(m.UniqueAddress.Address, m.UniqueAddress.Uid, m.Status, m.Roles))
                .ToImmutableList();
        return JsonConvert.SerializeObject(new HttpBootstrapJsonProtocol.SeedNodes(cluster.SelfAddress, members));
    }

    private static void JoinItself(ActorSystem system)
    {
        var cluster = Cluster.Get(system);
        Log.Information("No seeds and no discovery: {Address} joins itself", cluster.SelfAddress);
        cluster.Join(cluster.SelfAddress);
    }
}
