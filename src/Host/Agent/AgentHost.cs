using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Logger.Serilog;
using Akka.Remote.Hosting;
using IstioPodNetwork.Actors.Status;
using IstioPodNetwork.Host.Commands;
using IstioPodNetwork.Host.Configuration;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Prometheus;
using Serilog;

namespace IstioPodNetwork.Host.Agent;

/// <summary>The composition root of `ipnc agent`: Serilog, the actor system and the health endpoint.</summary>
public static class AgentHost
{
    public const string ActorSystemName = "ipnc";

    public static WebApplication Build(AgentSettings settings, LayeredConfig config, IKubernetes client)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.Sources.Clear();
        builder.Services.AddSerilog();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
        builder.Services.AddHostedService<MemoryReturn>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(settings.HealthHost, settings.HealthPort);
            if (settings.Seeds.IsEmpty && settings.Formation.Discovery != Discovery.None)
            {
                // Bootstrap's contact point: on the remoting address, where peers reach this agent.
                if (System.Net.IPAddress.TryParse(settings.RemotingHost, out var address))
                {
                    kestrel.Listen(address, settings.Formation.ManagementPort);
                }
                else
                {
                    kestrel.ListenAnyIP(settings.Formation.ManagementPort);
                }
            }
        });

        builder.Services.AddAkka(ActorSystemName, (akka, _) =>
        {
            akka.AddHocon(config.Config, HoconAddMode.Prepend)
                .ConfigureLoggers(loggers =>
                {
                    loggers.ClearLoggers();
                    loggers.AddLogger<SerilogLogger>();
                })
                .WithRemoting(new RemoteOptions
                {
                    HostName = "0.0.0.0",
                    PublicHostName = settings.RemotingHost,
                    Port = settings.RemotingPort,
                })
                .WithClustering(new ClusterOptions
                {
                    SeedNodes = [.. settings.Seeds],
                    Roles = CommandEndpointHosting.MemberRoles(config, settings),
                })
                .WithClusterFormation(settings, client)
                .WithNodeAgent(settings, client)
                .AddStartup((system, _) => LogWhenUp(system))
                .WithCommandEndpoint(settings);
        });

        var app = builder.Build();
        ClusterFormation.MapContactPoint(app, settings);
        app.MapMetrics("/metrics");
        app.MapGet("/healthz", (ActorSystem system) => system.WhenTerminated.IsCompleted
            ? Results.Text("actor system terminated\n", statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Text("ok\n"));
        app.MapGet("/readyz", async (ActorSystem system, IRequiredActor<NodeStatus> status) =>
        {
            var readiness = await status.ActorRef.Ask<ReadinessResult>(new GetReadiness(), TimeSpan.FromSeconds(2));
            var problems = new List<string>();
            if (Cluster.Get(system).SelfMember.Status != MemberStatus.Up)
            {
                problems.Add("not an Up cluster member yet");
            }

            if (!readiness.PodsSynced)
            {
                problems.Add("the pod watch has not synced");
            }

            if (!readiness.NamespacesKnown)
            {
                problems.Add("the opted-in namespaces are not known yet");
            }

            return problems.Count == 0
                ? Results.Text("ready\n")
                : Results.Text($"not ready: {string.Join("; ", problems)}\n", statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        return app;
    }

    private static void LogWhenUp(ActorSystem system)
    {
        var cluster = Cluster.Get(system);
        cluster.RegisterOnMemberUp(() => Log.Information("Agent {Address} is Up in the cluster", cluster.SelfAddress));
    }
}
