using System.CommandLine;
using IstioPodNetwork.Actors.Pods;
using IstioPodNetwork.Capture.Rules;
using IstioPodNetwork.Capture.Spec;
using IstioPodNetwork.Host.Configuration;
using IstioPodNetwork.Kube.Models;
using k8s;
using k8s.Models;

namespace IstioPodNetwork.Host.Cli;

/// <summary>
/// `ipnc rules -f POD.yaml`: a dry run printing the iptables-restore text the agent would apply to
/// that pod (IPv4, then `# ip6tables-restore` and IPv6 when the pod has an IPv6 address), or each
/// annotation error on its own line (exit 1). An unreadable or unparseable file is one line, exit 2.
/// </summary>
public static class RulesCommand
{
    private static readonly Setting[] CaptureSettingsOnly =
    [
        SettingsCatalog.CaptureOutboundPort, SettingsCatalog.CaptureInboundPort, SettingsCatalog.CaptureTunnelPort,
        SettingsCatalog.CaptureExcludedInboundPorts, SettingsCatalog.CaptureExcludedOutboundPorts,
    ];

    public static Command Create()
    {
        var command = new Command("rules", "Print the iptables-restore input the agent would apply to a pod (a dry run; nothing is changed).");
        var fileOption = new Option<string>("--file", "-f")
        {
            Description = "Pod manifest, YAML or JSON; - reads standard input.",
            Required = true,
        };
        command.Options.Add(fileOption);
        var settingOptions = SettingOptions.AddTo(command, CaptureSettingsOnly);

        command.SetAction(async (parse, cancellation) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            if (!settingOptions.TryBuild(parse, values => CaptureSettings.From(values).Defaults, out var defaults))
            {
                return ExitCodes.Usage;
            }

            var file = parse.GetValue(fileOption)!;
            var pod = await ReadPodAsync(file, cancellation);
            if (pod.Problem is not null)
            {
                await error.WriteLineAsync("ipnc: " + pod.Problem);
                return ExitCodes.Usage;
            }

            switch (CaptureSpecParser.Parse(PodCaptureInputs.From(pod.Pod!), defaults))
            {
                case CaptureParseResult.Accepted accepted:
                    await output.WriteAsync(RuleSetBuilder.Build(accepted.Spec).ToRestoreText());
                    return ExitCodes.Ok;
                case CaptureParseResult.Rejected rejected:
                    foreach (var problem in rejected.Errors)
                    {
                        await error.WriteLineAsync(problem.ToString());
                    }

                    return ExitCodes.Failed;
                default:
                    return ExitCodes.Failed;
            }
        });
        return command;
    }

    private static async Task<(Pod? Pod, string? Problem)> ReadPodAsync(string file, CancellationToken cancellation)
    {
        string text;
        try
        {
            text = file == "-" ? await Console.In.ReadToEndAsync(cancellation) : await File.ReadAllTextAsync(file, cancellation);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, $"cannot read {file}: {e.Message}");
        }

        var source = file == "-" ? "standard input" : file;
        try
        {
            var pod = KubernetesYaml.Deserialize<V1Pod>(text);
            return pod switch
            {
                null => (null, $"{source} is empty, not a Pod manifest"),
                { Kind: { } kind } when kind != "Pod" => (null, $"{source} is a {kind}, not a Pod"),
                // The agent's own model of it: the fields the agent reads, nothing else.
                _ => (Pod.From(pod), null),
            };
        }
        catch (Exception e) when (e is YamlDotNet.Core.YamlException or FormatException or InvalidOperationException or ArgumentException)
        {
            return (null, $"{source} is not a Pod manifest (YAML or JSON): {e.Message.Split('\n', 2)[0].Trim()}");
        }
    }
}
