using System.Net;
using System.Net.Sockets;
using Serilog;

namespace IstioPodNetwork.Host.Listening;

/// <summary>
/// What the agent's TCP endpoints (operator commands, HTTP) share: listening with an error that names the
/// setting to change, accepting until disposed, and stopping: accepting ends, then <see cref="DrainAsync"/>.
/// </summary>
public abstract class TcpEndpoint : IAsyncDisposable
{
    private readonly TcpListener listener;
    private readonly CancellationTokenSource stopping = new();
    private Task accepting = Task.CompletedTask;
    private int disposed;

    /// <summary>Listens on <paramref name="at"/> (port 0 picks a free port); throws with a message naming <paramref name="portSetting"/> when it cannot.</summary>
    protected TcpEndpoint(string name, IPEndPoint at, string portSetting)
    {
        Name = name;
        listener = new TcpListener(at);
        try
        {
            listener.Start();
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new InvalidOperationException($"the {name} endpoint cannot listen on {at}: {e.Message} (set {portSetting} to a free port)", e);
        }

        Stopping = stopping.Token;
    }

    public IPEndPoint LocalEndpoint => (IPEndPoint)listener.LocalEndpoint;

    protected string Name { get; }

    /// <summary>Cancelled when the endpoint is disposed.</summary>
    protected CancellationToken Stopping { get; }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }

        await stopping.CancelAsync();
        listener.Stop();
        await accepting;
        await DrainAsync();
        listener.Dispose();
        stopping.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Begins handing connections to <see cref="Serve"/>; called by the derived class once it is ready to serve.</summary>
    protected void StartAccepting() => accepting = AcceptAsync();

    /// <summary>Takes one accepted connection (and its disposal); must not block.</summary>
    protected abstract void Serve(TcpClient client);

    /// <summary>After accepting has ended: waits for connections still being served, if the endpoint wants that.</summary>
    protected virtual Task DrainAsync() => Task.CompletedTask;

    private async Task AcceptAsync()
    {
        while (!Stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(Stopping);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException && Stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                Log.Warning("The {Name} endpoint could not accept a connection: {Error}", Name, e.Message);
                continue;
            }

            Serve(client);
        }
    }
}
