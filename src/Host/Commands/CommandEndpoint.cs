using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using IstioPodNetwork.Actors.Commands;
using IstioPodNetwork.Host.Listening;
using Serilog;

namespace IstioPodNetwork.Host.Commands;

/// <summary>
/// The agent's operator command endpoint: a TCP listener on 127.0.0.1 only (a
/// command can down the cluster, so it is reached from inside the pod, e.g. with
/// `kubectl exec`), one session per connection speaking <see cref="CommandProtocol"/>.
/// </summary>
public sealed class CommandEndpoint : TcpEndpoint
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(3);

    private readonly ActorSystem system;
    private readonly CommandPalettes palettes;
    private readonly ConcurrentDictionary<long, Task> sessions = new();
    private long sessionCount;

    private CommandEndpoint(ActorSystem system, CommandPalettes palettes, int port)
        : base("command", new IPEndPoint(IPAddress.Loopback, port), "command-port")
    {
        this.system = system;
        this.palettes = palettes;
        StartAccepting();
    }

    public int Port => LocalEndpoint.Port;

    /// <summary>Listens on 127.0.0.1:<paramref name="port"/> (0 picks a free port); throws with a clear message when the port is taken.</summary>
    public static CommandEndpoint Start(ActorSystem system, CommandPalettes palettes, int port)
    {
        var endpoint = new CommandEndpoint(system, palettes, port);
        Log.Information("Command endpoint listening on 127.0.0.1:{Port}", endpoint.Port);
        return endpoint;
    }

    /// <summary>Running commands were cancelled with the endpoint (they end with "the agent is stopping"): waits briefly for them.</summary>
    protected override Task DrainAsync() => Task.WhenAny(Task.WhenAll(sessions.Values), Task.Delay(DrainTimeout));

    protected override void Serve(TcpClient client)
    {
        var id = Interlocked.Increment(ref sessionCount);
        sessions[id] = Task.Run(async () =>
        {
            try
            {
                await ServeAsync(client);
            }
            finally
            {
                sessions.TryRemove(id, out _);
            }
        });
    }

    /// <summary>One connection: read the request, run its command, stream the records, end with an <see cref="EndRecord"/>.</summary>
    private async Task ServeAsync(TcpClient client)
    {
        using var connection = client;
        using var session = CancellationTokenSource.CreateLinkedTokenSource(Stopping);
        var stream = client.GetStream();
        var output = new ConnectionOutput(stream);
        var hangUp = Task.CompletedTask;
        try
        {
            var request = await ReadRequestAsync(stream, session.Token);
            var parsed = CommandParser.Parse(palettes.Commands, request.Args);
            Log.Information("Operator command: {Command:l}", string.Join(' ', request.Args));

            // The client hangs up to stop a streaming command; that cancels the handler.
            hangUp = WatchForHangUpAsync(stream, session);
            await parsed.Command.Handler(new CommandContext(system, parsed.Arguments, output, session.Token));
            await output.WriteAsync(EndRecord.Success, session.Token);
        }
        catch (CommandUsageException e)
        {
            await EndAsync(output, CommandError.Usage, e.Message);
        }
        catch (CommandFailedException e)
        {
            await EndAsync(output, CommandError.Failed, e.Message);
        }
        catch (OperationCanceledException) when (session.IsCancellationRequested)
        {
            if (Stopping.IsCancellationRequested)
            {
                await EndAsync(output, CommandError.Failed, "the agent is stopping");
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            Log.Debug("Command endpoint: the client went away: {Error}", e.Message);
        }
        catch (Exception e)
        {
            Log.Error(e, "Operator command failed unexpectedly");
            await EndAsync(output, CommandError.Failed, $"the agent failed to run the command: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            await session.CancelAsync();
            await hangUp;
        }
    }

    private static async Task<CommandRequest> ReadRequestAsync(NetworkStream stream, CancellationToken cancellation)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(RequestTimeout);
        var line = new MemoryStream();
        var buffer = new byte[4096];
        while (true)
        {
            int read;
            try
            {
                read = await stream.ReadAsync(buffer, timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                throw new CommandUsageException($"no request within {RequestTimeout.TotalSeconds:0} s");
            }

            var end = Array.IndexOf(buffer, (byte)'\n', 0, read);
            line.Write(buffer, 0, end < 0 ? read : end);
            if (end >= 0 || read == 0)
            {
                break;
            }

            if (line.Length > CommandProtocol.MaxRequestBytes)
            {
                throw new CommandUsageException($"the request is longer than {CommandProtocol.MaxRequestBytes} bytes");
            }
        }

        return Decode(line.ToArray());
    }

    private static CommandRequest Decode(byte[] line)
    {
        CommandRequest? request;
        try
        {
            request = JsonSerializer.Deserialize<CommandRequest>(line, CommandProtocol.Json);
        }
        catch (JsonException)
        {
            request = null;
        }

        if (request is null || request.Args.IsDefault)
        {
            throw new CommandUsageException($"not an ipnc command request (expected one line of JSON, protocol {CommandProtocol.Version})");
        }

        return request.Protocol == CommandProtocol.Version
            ? request
            : throw new CommandUsageException($"this agent speaks command protocol {CommandProtocol.Version}, the client {request.Protocol}: use the ipnc of the agent's image");
    }

    private static async Task WatchForHangUpAsync(NetworkStream stream, CancellationTokenSource session)
    {
        var buffer = new byte[256];
        try
        {
            while (await stream.ReadAsync(buffer, session.Token) > 0)
            {
                // The protocol has one request per connection; later bytes mean nothing.
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // A broken connection: the client is gone as surely as after a clean hang-up.
        }

        await session.CancelAsync();
    }

    private static async Task EndAsync(ConnectionOutput output, CommandError error, string message)
    {
        try
        {
            await output.WriteAsync(EndRecord.Failure(error, message), CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The client is gone; nobody is left to tell.
        }
    }

    /// <summary>Writes records as JSON lines, each flushed at once so streamed events arrive as they happen.</summary>
    private sealed class ConnectionOutput(NetworkStream stream) : ICommandOutput
    {
        public async ValueTask WriteAsync(ResponseRecord record, CancellationToken cancellation)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(record, CommandProtocol.Json) + "\n"), cancellation);
            await stream.FlushAsync(cancellation);
        }
    }
}
