using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using IstioPodNetwork.Capture.Processes;

namespace IstioPodNetwork.Capture.Validation;

/// <summary>
/// TCP sockets made inside a network namespace: created on a thread that joined the netns (a socket stays in
/// the netns it was created in, whichever thread uses it later) and whose fsuid/fsgid is the wanted owner
/// (iptables' owner match reads the credentials a socket was created with; setfsuid is per thread).
/// </summary>
public static class NetnsSockets
{
    private const int SolSocket = 1;
    private const int SoReuseAddr = 2;
    private const int SolIp = 0;
    private const int SolIpv6 = 41;
    private const int SoOriginalDst = 80;
    private const int IpTransparent = 19;

    /// <summary>A listener on <paramref name="endpoint"/> inside <paramref name="networkNamespace"/>; a transparent one accepts TPROXY'd connections for any address.</summary>
    /// <exception cref="NetnsUnavailableException">The netns cannot be joined.</exception>
    /// <exception cref="SocketException">The endpoint cannot be bound (in use, no such address).</exception>
    public static Task<Socket> ListenAsync(string networkNamespace, IPEndPoint endpoint, bool transparent = false) =>
        NetnsThread.RunAsync(networkNamespace, () =>
        {
            var socket = NewTcpSocket(endpoint.AddressFamily);
            try
            {
                // SO_REUSEADDR alone (a listener's earlier connections may linger in TIME_WAIT); .NET's ReuseAddress
                // would add SO_REUSEPORT and share the port with a proxy already listening there.
                socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
                if (transparent)
                {
                    socket.SetRawSocketOption(IpLevel(endpoint.AddressFamily), IpTransparent, BitConverter.GetBytes(1));
                }

                socket.Bind(endpoint);
                socket.Listen(16);
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        });

    /// <summary>An unconnected TCP socket inside <paramref name="networkNamespace"/>, owned by <paramref name="uid"/>/<paramref name="gid"/> as far as iptables can tell.</summary>
    /// <exception cref="NetnsUnavailableException">The netns cannot be joined.</exception>
    public static Task<Socket> CreateAsync(string networkNamespace, AddressFamily family, uint uid = 0, uint gid = 0) =>
        NetnsThread.RunAsync(networkNamespace, () =>
        {
            var previousUid = Libc.SetFsUid(uid);
            var previousGid = Libc.SetFsGid(gid);
            try
            {
                return NewTcpSocket(family);
            }
            finally
            {
                _ = Libc.SetFsGid((uint)previousGid);
                _ = Libc.SetFsUid((uint)previousUid);
            }
        });

    /// <summary>getsockopt SO_ORIGINAL_DST of an accepted connection: where it was going before a REDIRECT; null when NAT did not redirect it.</summary>
    public static IPEndPoint? OriginalDestination(Socket accepted)
    {
        var v6 = accepted.AddressFamily == AddressFamily.InterNetworkV6;
        var buffer = new byte[v6 ? 28 : 16];
        try
        {
            accepted.GetRawSocketOption(IpLevel(accepted.AddressFamily), SoOriginalDst, buffer);
        }
        catch (SocketException)
        {
            return null;
        }

        var port = BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(2));
        var address = v6 ? new IPAddress(buffer.AsSpan(8, 16)) : new IPAddress(buffer.AsSpan(4, 4));
        return new IPEndPoint(address, port);
    }

    private static int IpLevel(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? SolIpv6 : SolIp;

    private static Socket NewTcpSocket(AddressFamily family)
    {
        var socket = new Socket(family, SocketType.Stream, ProtocolType.Tcp);
        if (family == AddressFamily.InterNetworkV6)
        {
            // One family per socket: an IPv6 listener must not take IPv4 connections meant for another.
            socket.DualMode = false;
        }

        return socket;
    }
}
