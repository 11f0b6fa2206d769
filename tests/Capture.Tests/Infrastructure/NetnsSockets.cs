using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using IstioPodNetwork.Capture.Processes;

namespace IstioPodNetwork.Capture.Tests.Infrastructure;

/// <summary>
/// TCP sockets made inside a test netns: created on a thread that joined the netns (a socket stays in the
/// netns it was created in) and whose fsuid/fsgid is the wanted owner (iptables' owner match reads the
/// credentials the socket was created with; setfsuid is per thread).
/// </summary>
public static partial class NetnsSockets
{
    private const int SolIp = 0;
    private const int SolIpv6 = 41;
    private const int SoOriginalDst = 80;
    private const int IpTransparent = 19;

    /// <summary>A listener on <paramref name="endpoint"/> in the netns; transparent listeners accept TPROXY'd connections for any address.</summary>
    public static Task<Socket> ListenAsync(TestNetns netns, IPEndPoint endpoint, bool transparent = false) =>
        NetnsThread.RunAsync(netns.Path, () =>
        {
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (transparent)
            {
                socket.SetRawSocketOption(endpoint.AddressFamily == AddressFamily.InterNetworkV6 ? SolIpv6 : SolIp, IpTransparent, BitConverter.GetBytes(1));
            }

            socket.Bind(endpoint);
            socket.Listen(16);
            return socket;
        });

    /// <summary>Connects from inside the netns with a socket owned by <paramref name="uid"/>/<paramref name="gid"/> and returns everything the server wrote.</summary>
    public static async Task<string> ExchangeAsync(TestNetns netns, IPEndPoint destination, uint uid = 0, uint gid = 0)
    {
        var socket = await NetnsThread.RunAsync(netns.Path, () =>
        {
            var previousUid = SetFsUid(uid);
            var previousGid = SetFsGid(gid);
            try
            {
                return new Socket(destination.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            }
            finally
            {
                _ = SetFsGid((uint)previousGid);
                _ = SetFsUid((uint)previousUid);
            }
        });
        using (socket)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await socket.ConnectAsync(destination, timeout.Token);
            var received = new StringBuilder();
            var buffer = new byte[256];
            int count;
            while ((count = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
            {
                received.Append(Encoding.ASCII.GetString(buffer, 0, count));
            }

            return received.ToString().Trim();
        }
    }

    /// <summary>
    /// Serves until disposed: each connection is told who answered and what it was addressed to,
    /// <c>&lt;name&gt; original=&lt;SO_ORIGINAL_DST&gt; local=&lt;local endpoint&gt;</c>, then closed.
    /// </summary>
    public static IAsyncDisposable Serve(Socket listener, string name)
    {
        var stop = new CancellationTokenSource();
        var loop = Task.Run(async () =>
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
                    var reply = $"{name} original={OriginalDestination(client)} local={client.LocalEndPoint}";
                    await client.SendAsync(Encoding.ASCII.GetBytes(reply), SocketFlags.None);
                    client.Shutdown(SocketShutdown.Both);
                }
            }
        });
        return new Server(listener, stop, loop);
    }

    /// <summary>getsockopt(SOL_IP, SO_ORIGINAL_DST): where a REDIRECTed connection was going; "none" when it was not redirected.</summary>
    public static string OriginalDestination(Socket socket)
    {
        var v6 = socket.AddressFamily == AddressFamily.InterNetworkV6;
        var buffer = new byte[v6 ? 28 : 16];
        try
        {
            socket.GetRawSocketOption(v6 ? SolIpv6 : SolIp, SoOriginalDst, buffer);
        }
        catch (SocketException)
        {
            return "none";
        }

        var port = BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(2));
        var address = v6 ? new IPAddress(buffer.AsSpan(8, 16)) : new IPAddress(buffer.AsSpan(4, 4));
        return new IPEndPoint(address, port).ToString();
    }

    [LibraryImport("libc", EntryPoint = "setfsuid")]
    private static partial int SetFsUid(uint uid);

    [LibraryImport("libc", EntryPoint = "setfsgid")]
    private static partial int SetFsGid(uint gid);

    private sealed class Server(Socket listener, CancellationTokenSource stop, Task loop) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            listener.Dispose();
            await loop;
            stop.Dispose();
        }
    }
}
