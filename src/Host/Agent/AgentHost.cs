using System.Net;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Logger.Serilog;
using Akka.Remote.Hosting;
using IstioPodNetwork.Actors.Status;
using IstioPodNetwork.Host.Commands;
using IstioPodNetwork.Host.Configuration;
using IstioPodNetwork.Kube;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Prometheus;
using Serilog;

namespace IstioPodNetwork.Host.Agent;

/// <summary>The composition root of `ipnc agent`: Serilog, the actor system and its HTTP endpoints.</summary>
public static class AgentHost
{
    public const string ActorSystemName = "ipnc";

    public static IHost Build(AgentSettings settings, LayeredConfig config, KubeApi api)
    {
        ServeOnlyProcessMetricsBesideOurs();
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Services.AddSerilog();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
        builder.Services.AddHostedService<MemoryReturn>();
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
                .WithClusterFormation(settings, api)
                .WithNodeAgent(settings, api)
                .AddStartup((system, _) => LogWhenUp(system))
                .WithCommandEndpoint(settings);
        });

        // After Akka's: hosted services start in order, so the actor system is up when these first answer.
        builder.Services.AddHostedService(services => new Endpoints(settings, services));
        return builder.Build();
    }

    /// <summary>
    /// /metrics serves the agent's own series and the process's (CPU, memory, threads, open files, collections), not
    /// prometheus-net's adapters, which republish every .NET event counter and meter (runtime internals that
    /// dotnet-counters shows on demand). The adapters start at the first scrape and stay: an idle agent alone, 9 MB
    /// resident more (110.0 instead of 101.3 MiB) and that first scrape ~90 instead of ~35 ms of CPU, measured back to back.
    /// </summary>
    private static void ServeOnlyProcessMetricsBesideOurs() => Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions
    {
        SuppressEventCounters = true,
        SuppressMeters = true,
        SuppressDebugMetrics = true,
    });

    private static void LogWhenUp(ActorSystem system)
    {
        var cluster = Cluster.Get(system);
        cluster.RegisterOnMemberUp(() => Log.Information("Agent {Address} is Up in the cluster", cluster.SelfAddress));
    }

    /// <summary>/healthz, /readyz and /metrics on the health port; bootstrap's contact point on the management port when discovery is on.</summary>
    private sealed class Endpoints(AgentSettings settings, IServiceProvider services) : IHostedService
    {
        private readonly List<HttpEndpoint> started = [];

        public Task StartAsync(CancellationToken cancellationToken)
        {
            var system = services.GetRequiredService<ActorSystem>();
            var status = services.GetRequiredService<IRequiredActor<NodeStatus>>();
            started.Add(HttpEndpoint.Start(
                "health",
                new IPEndPoint(settings.HealthHost, settings.HealthPort),
                "health-port",
                new Dictionary<string, Func<CancellationToken, Task<HttpReply>>>
                {
                    ["/healthz"] = _ => Task.FromResult(system.WhenTerminated.IsCompleted
                        ? HttpReply.Text("actor system terminated\n", HttpStatusCode.ServiceUnavailable)
                        : HttpReply.Text("ok\n")),
                    ["/readyz"] = _ => ReadinessAsync(system, status),
                    ["/metrics"] = MetricsAsync,
                }));
            if (ClusterFormation.StartContactPoint(system, settings) is { } contactPoint)
            {
                started.Add(contactPoint);
            }

            return Task.CompletedTask;
        }

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            foreach (var endpoint in started)
            {
                await endpoint.DisposeAsync();
            }
        }

        private static async Task<HttpReply> ReadinessAsync(ActorSystem system, IRequiredActor<NodeStatus> status)
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
                ? HttpReply.Text("ready\n")
                : HttpReply.Text($"not ready: {string.Join("; ", problems)}\n", HttpStatusCode.ServiceUnavailable);
        }

        private static async Task<HttpReply> MetricsAsync(CancellationToken cancellation)
        {
            using var body = new MemoryStream();
            await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(body, cancellation);
            return new HttpReply(HttpStatusCode.OK, "text/plain; version=0.0.4; charset=utf-8", body.ToArray());
        }
    }
}
