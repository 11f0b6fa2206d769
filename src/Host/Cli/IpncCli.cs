using System.CommandLine;
using System.Reflection;
using IstioPodNetwork.Host.Commands;

namespace IstioPodNetwork.Host.Cli;

/// <summary>`ipnc`: the agent and the operator's tools in one binary.</summary>
public static class IpncCli
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("istio-pod-network-controller: programs Istio's traffic capture into opted-in pods' network namespaces, so user pods need no privileged init container. "
            + "Operator commands run against an agent: ipnc [HOST:PORT] [-o text|json] COMMAND [ARGS] (default 127.0.0.1 and the command-port setting); 'ipnc help' lists what the agent offers.")
        {
            AgentCommand.Create(),
            WaitCommand.Create(),
            RulesCommand.Create(),
            ProbeCommand.Create(),
            VersionCommand(),
        };

        if (OperatorCommandLine.IsOperatorCommand(args, root.Subcommands.SelectMany(c => c.Aliases.Prepend(c.Name))))
        {
            return await CommandClient.RunAsync(args, output, error);
        }

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            var verb = parsed.CommandResult.Command == root ? "ipnc" : "ipnc " + parsed.CommandResult.Command.Name;
            await error.WriteLineAsync($"ipnc: {Describe(parsed)} (see '{verb} --help')");
            return ExitCodes.Usage;
        }

        // The generic host handles SIGTERM itself (graceful cluster leave), so the parser must not.
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null });
    }

    /// <summary>One line for the whole parse: the first unknown word if any, else the parser's first complaint.</summary>
    private static string Describe(ParseResult parsed)
    {
        if (parsed.UnmatchedTokens.Count > 0)
        {
            var token = parsed.UnmatchedTokens[0];
            return token.StartsWith('-') ? $"unknown option '{token}'" : $"unknown command or argument '{token}'";
        }

        return parsed.Errors[0].Message.TrimEnd('.');
    }

    public static string Version =>
        typeof(IpncCli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    private static Command VersionCommand()
    {
        var command = new Command("version", "Print the version of ipnc.");
        command.SetAction(parse =>
        {
            parse.InvocationConfiguration.Output.WriteLine($"ipnc {Version}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
