using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using IstioPodNetwork.Actors.Commands;
using IstioPodNetwork.Host.Cli;
using IstioPodNetwork.Host.Configuration;

namespace IstioPodNetwork.Host.Commands;

/// <summary>
/// `ipnc [HOST:PORT] COMMAND …`: sends the command to an agent's command endpoint
/// and prints its answer. Exit codes: 0 done (also after Ctrl-C ends a stream),
/// 1 the command failed, 2 a usage error (said by the client or the agent),
/// 3 the agent cannot be reached.
/// </summary>
public static class CommandClient
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The whole client: read the line, connect, print; Ctrl-C (SIGINT) or SIGTERM hang up and end with 0.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        OperatorCommandLine line;
        try
        {
            line = OperatorCommandLine.Parse(args, AgentCommandPort);
        }
        catch (CommandUsageException e)
        {
            await error.WriteLineAsync("ipnc: " + e.Message);
            return ExitCodes.Usage;
        }
        catch (SettingsException e)
        {
            await error.WriteLineAsync($"ipnc: cannot tell the agent's command port: {e.Problems[0]} (or give HOST:PORT)");
            return ExitCodes.Usage;
        }

        using var interrupted = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);
        return await RunAsync(line, output, error, interrupted.Token);

        void Interrupt(PosixSignalContext signal)
        {
            signal.Cancel = true;
            interrupted.Cancel();
        }
    }

    /// <summary>Runs one command line against its agent; <paramref name="cancellation"/> hangs up (exit code 0).</summary>
    public static async Task<int> RunAsync(OperatorCommandLine line, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var agent = $"{line.Endpoint.Host}:{line.Endpoint.Port}";
        using var client = new TcpClient();
        try
        {
            using var connecting = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            connecting.CancelAfter(ConnectTimeout);
            await client.ConnectAsync(line.Endpoint.Host, line.Endpoint.Port, connecting.Token);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            var reason = e is SocketException socket ? socket.Message : $"no answer within {ConnectTimeout.TotalSeconds:0} s";
            await error.WriteLineAsync($"ipnc: cannot reach the agent at {agent}: {reason}");
            return ExitCodes.Unreachable;
        }

        var stream = client.GetStream();
        var renderer = ResponseRenderer.For(line.Output, output);
        try
        {
            var request = CommandProtocol.Serialize(new CommandRequest(CommandProtocol.Version, line.Args)) + "\n";
            await stream.WriteAsync(Encoding.UTF8.GetBytes(request), cancellation);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            while (await reader.ReadLineAsync(cancellation) is { } text)
            {
                switch (Decode(text))
                {
                    case null:
                        await error.WriteLineAsync($"ipnc: the answer from {agent} is not ipnc command protocol {CommandProtocol.Version} (is it an agent's command port? is this the ipnc of the agent's image?)");
                        return ExitCodes.Failed;
                    case NoticeRecord notice:
                        await error.WriteLineAsync(notice.Text);
                        break;
                    case EndRecord { Ok: true }:
                        renderer.Complete();
                        return ExitCodes.Ok;
                    case EndRecord end:
                        await error.WriteLineAsync("ipnc: " + end.Message);
                        return end.Error == CommandError.Usage ? ExitCodes.Usage : ExitCodes.Failed;
                    case var record:
                        renderer.Write(record);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
        catch (IOException e)
        {
            await error.WriteLineAsync($"ipnc: the connection to the agent at {agent} broke: {e.Message}");
            return ExitCodes.Failed;
        }

        await error.WriteLineAsync($"ipnc: the agent at {agent} closed the connection before the command finished");
        return ExitCodes.Failed;
    }

    private static ResponseRecord? Decode(string line)
    {
        try
        {
            return JsonSerializer.Deserialize<ResponseRecord>(line, CommandProtocol.Json);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>The command port the agent in this environment listens on: IPNC_COMMAND_PORT, else the configuration files.</summary>
    private static int AgentCommandPort()
    {
        var overrideFile = Environment.GetEnvironmentVariable("IPNC_CONFIG") is { Length: > 0 } file ? file : null;
        return SettingValues.Resolve(
            LayeredConfig.Load(LayeredConfig.DefaultBaseFile, overrideFile),
            SettingValues.ProcessEnvironment(),
            SettingsCatalog.CommandPort);
    }
}
