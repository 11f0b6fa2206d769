using System.Globalization;
using IstioPodNetwork.Testing;
using Xunit.Abstractions;

namespace IstioPodNetwork.Integration.Tests.Support;

/// <summary>An `ipnc agent` process on loopback with known remoting and command ports.</summary>
public sealed class RunningAgent : IAsyncDisposable
{
    private RunningAgent(ChildProcess process, string node, int remotingPort, int commandPort, int healthPort)
    {
        Process = process;
        Node = node;
        RemotingPort = remotingPort;
        CommandPort = commandPort;
        HealthPort = healthPort;
    }

    public ChildProcess Process { get; }

    public string Node { get; }

    public int RemotingPort { get; }

    public int CommandPort { get; }

    public int HealthPort { get; }

    public Uri Health => new($"http://127.0.0.1:{HealthPort}/");

    public string Address => $"akka.tcp://ipnc@127.0.0.1:{RemotingPort}";

    /// <summary>HOST:PORT of its command endpoint, as `ipnc` takes it.</summary>
    public string Endpoint => $"127.0.0.1:{CommandPort}";

    /// <summary>
    /// Starts an agent for <paramref name="node"/> (joining <paramref name="seed"/> if given) against
    /// <paramref name="kubeconfig"/>, or the shared sandbox-less KubeSim, and returns once its command endpoint listens.
    /// </summary>
    public static async Task<RunningAgent> StartAsync(
        string node,
        ITestOutputHelper? output,
        RunningAgent? seed = null,
        string? kubeconfig = null,
        IEnumerable<string>? extraArguments = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        kubeconfig ??= (await SharedKubeSim.GetAsync()).KubeconfigPath;
        var remotingPort = FreePort.Next();
        var commandPort = FreePort.Next();
        var healthPort = FreePort.Next();
        List<string> args =
        [
            "agent", "--node-name", node, "--kubeconfig", kubeconfig, "--remoting-host", "127.0.0.1", "--remoting-port", Text(remotingPort),
            "--health-host", "127.0.0.1", "--health-port", Text(healthPort), "--command-port", Text(commandPort),
        ];
        if (seed is not null)
        {
            args.AddRange(["--seed", seed.Address]);
        }

        args.AddRange(extraArguments ?? []);
        var process = ChildProcess.Start(Binaries.Ipnc, args, output, environment, label: node);
        var agent = new RunningAgent(process, node, remotingPort, commandPort, healthPort);
        try
        {
            await process.WaitForLineAsync(l => l.Contains($"Command endpoint listening on 127.0.0.1:{commandPort}", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the command endpoint");
            return agent;
        }
        catch
        {
            await agent.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => Process.DisposeAsync();

    private static string Text(int number) => number.ToString(CultureInfo.InvariantCulture);
}
