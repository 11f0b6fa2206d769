using System.CommandLine;
using IstioPodNetwork.Host.Agent;
using IstioPodNetwork.Host.Configuration;
using IstioPodNetwork.Host.Logging;
using IstioPodNetwork.Kube;
using Microsoft.Extensions.Hosting;
using Serilog;

namespace IstioPodNetwork.Host.Cli;

/// <summary>`ipnc agent`: the DaemonSet's process on each node.</summary>
public static class AgentCommand
{
    public static Command Create()
    {
        var command = new Command("agent", "Run the node agent: join the agents' cluster and program opted-in pods on this node.");
        var configOption = new Option<string>("--config")
        {
            Description = $"HOCON file layered over {LayeredConfig.FileName} (any key, akka ones included). Environment: IPNC_CONFIG.",
        };
        command.Options.Add(configOption);
        var settingOptions = SettingOptions.AddTo(command);

        command.SetAction(async (parse, cancellation) =>
        {
            AgentSettings settings;
            LayeredConfig config;
            KubeApi api;
            try
            {
                var overrideFile = parse.GetValue(configOption) ?? NonEmpty(Environment.GetEnvironmentVariable("IPNC_CONFIG"));
                config = LayeredConfig.Load(LayeredConfig.DefaultBaseFile, overrideFile);
                settings = SettingValues.Build(config, SettingValues.ProcessEnvironment(), settingOptions.Given(parse), AgentSettings.From);
                api = KubeClient(settings);
            }
            catch (SettingsException e)
            {
                foreach (var problem in e.Problems)
                {
                    await parse.InvocationConfiguration.Error.WriteLineAsync("ipnc: " + problem);
                }

                return ExitCodes.Usage;
            }

            Log.Logger = LogSetup.Create(settings.LogFormat, settings.LogLevel);
            try
            {
                Log.Information("ipnc {Version} agent starting", IpncCli.Version);
                NoAppConfig.Install();
                UnpooledRemotingBuffers.Install();
                using var host = AgentHost.Build(settings, config, api);
                await host.RunAsync(cancellation);
                return Environment.ExitCode == 0 ? ExitCodes.Ok : ExitCodes.Failed;
            }
            catch (Exception e)
            {
                Log.Fatal(e, "Agent stopped on an error");
                return ExitCodes.Failed;
            }
            finally
            {
                await Log.CloseAndFlushAsync();
            }
        });
        return command;
    }

    private static KubeApi KubeClient(AgentSettings settings)
    {
        try
        {
            return KubeClients.Create(NonEmpty(settings.Kubeconfig));
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            throw new SettingsException([$"cannot reach the Kubernetes API: {e.Message}"]);
        }
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
