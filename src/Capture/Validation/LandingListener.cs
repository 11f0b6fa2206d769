using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace IstioPodNetwork.Capture.Validation;

/// <summary>A connection a <see cref="LandingListener"/> accepted.</summary>
/// <param name="From">The caller's address and port.</param>
/// <param name="Local">Where it arrived: the proxy port after a REDIRECT, the address the caller dialled under TPROXY.</param>
/// <param name="OriginalDestination">SO_ORIGINAL_DST: where the caller sent it before NAT redirected it; null when NAT did not.</param>
public sealed record Landing(IPEndPoint From, IPEndPoint Local, IPEndPoint? OriginalDestination)
{
    /// <summary>Where the caller meant to go, as a proxy would learn it: the original destination, or the local address under TPROXY.</summary>
    public IPEndPoint IntendedDestination => OriginalDestination ?? Local;
}

/// <summary>
/// A listener inside a network namespace that records each connection it accepts as a <see cref="Landing"/>,
/// greets it with its name and a newline, and closes it: the stand-in for a proxy (or any server) when proving
/// where traffic goes. It serves until disposed.
/// </summary>
public sealed class LandingListener : IAsyncDisposable
{
    private readonly Socket listener;
    private readonly ConcurrentQueue<Landing> landings = new();
    private readonly byte[] greeting;
    private readonly CancellationTokenSource stop = new();
    private readonly Task serving;

    private LandingListener(Socket listener, string name)
    {
        this.listener = listener;
        Name = name;
        greeting = Encoding.UTF8.GetBytes(name + "\n");
        Endpoint = (IPEndPoint)listener.LocalEndPoint!;
        serving = Task.Run(ServeAsync);
    }

    public string Name { get; }

    public IPEndPoint Endpoint { get; }

    /// <summary>Every connection accepted so far, in order.</summary>
    public IReadOnlyList<Landing> Landings => [.. landings];

    /// <exception cref="Processes.NetnsUnavailableException">The netns cannot be joined.</exception>
    /// <exception cref="SocketException">The endpoint cannot be bound (in use, no such address).</exception>
    public static async Task<LandingListener> StartAsync(string networkNamespace, IPEndPoint endpoint, string name, bool transparent = false) =>
        new(await NetnsSockets.ListenAsync(networkNamespace, endpoint, transparent), name);

    /// <summary>The connection that came from <paramref name="caller"/>, if it landed here.</summary>
    public Landing? LandingFrom(IPEndPoint caller) => landings.FirstOrDefault(l => l.From.Equals(caller));

    public async ValueTask DisposeAsync()
    {
        // The accept loop ends before the socket is closed, so no pending accept can hold it open past this
        // method: the next listener on the same port (the next probe in this pod) must be able to bind.
        await stop.CancelAsync();
        await serving;
        listener.Dispose();
        stop.Dispose();
    }

    private async Task ServeAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            using (client)
            {
                // Recorded before the greeting, so a caller that has read the greeting (or seen the close) finds its landing.
                landings.Enqueue(new Landing((IPEndPoint)client.RemoteEndPoint!, (IPEndPoint)client.LocalEndPoint!, NetnsSockets.OriginalDestination(client)));
                try
                {
                    await client.SendAsync(greeting, SocketFlags.None, stop.Token);
                    client.Shutdown(SocketShutdown.Both);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException)
                {
                    // The caller left first; its landing is recorded all the same.
                }
            }
        }
    }
}
