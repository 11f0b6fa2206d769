using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;

namespace IstioPodNetwork.KubeSim.Sandbox;

/// <summary>
/// The few rtnetlink requests a pod sandbox needs (what `ip link add … type veth`, `ip link set … up`, `ip addr add` and
/// `ip route add default` send), on a NETLINK_ROUTE socket of one named network namespace, without starting `ip`:
/// two processes less per sandbox, which on 2 busy cores was most of a sandbox's time after the cgroup move.
/// </summary>
internal sealed partial class Rtnetlink : IDisposable
{
    private const int NetlinkFamily = 16;
    private const int RawSocket = 3;
    private const int CloseOnExec = 0x80000;
    private const int RouteProtocol = 0;
    private const int CloneNewNet = 0x40000000;

    private const ushort NewLink = 16;
    private const ushort GetLink = 18;
    private const ushort NewAddress = 20;
    private const ushort NewRoute = 24;
    private const ushort Error = 2;

    private const ushort Request = 0x1;
    private const ushort Acknowledge = 0x4;
    private const ushort Exclusive = 0x200;
    private const ushort Create = 0x400;

    private const ushort InterfaceName = 3;
    private const ushort Master = 10;
    private const ushort LinkInfo = 18;
    private const ushort NetnsFd = 28;
    private const ushort InfoKind = 1;
    private const ushort InfoData = 2;
    private const ushort VethPeer = 1;
    private const ushort AddressAttribute = 1;
    private const ushort LocalAddress = 2;
    private const ushort Gateway = 5;
    private const uint InterfaceUp = 1;

    private readonly int socket;
    private readonly string netns;
    private uint sequence;

    private Rtnetlink(int socket, string netns)
    {
        this.socket = socket;
        this.netns = netns;
    }

    /// <summary>Runs <paramref name="requests"/> with a socket of netns <paramref name="name"/>, on a thread of its own that joins it and ends after.</summary>
    public static Task RunInAsync(string name, Action<Rtnetlink> requests) =>
        ThrowawayThread.RunAsync("rtnetlink", () =>
        {
            using (var handle = File.OpenHandle(NamedNetns.PathOf(name)))
            {
                if (SetNamespace(handle.DangerousGetHandle().ToInt32(), CloneNewNet) != 0)
                {
                    throw new InvalidOperationException($"joining netns {name} failed: {Marshal.GetLastPInvokeErrorMessage()}");
                }
            }

            var socket = OpenSocket(NetlinkFamily, RawSocket | CloseOnExec, RouteProtocol);
            if (socket < 0)
            {
                throw new InvalidOperationException($"opening a netlink socket in netns {name} failed: {Marshal.GetLastPInvokeErrorMessage()}");
            }

            using var netlink = new Rtnetlink(socket, name);
            requests(netlink);
        });

    /// <summary>A veth pair: <paramref name="name"/> here, enslaved to <paramref name="bridge"/> and up; its peer <paramref name="peerName"/> in netns <paramref name="peerNetns"/>, down.</summary>
    public void AddVethPair(string name, string bridge, string peerName, string peerNetns)
    {
        var bridgeIndex = IndexOf(bridge);
        using var peerHandle = File.OpenHandle(NamedNetns.PathOf(peerNetns));
        var message = new Message(NewLink, Request | Acknowledge | Create | Exclusive);
        message.InterfaceInfo(0, InterfaceUp, InterfaceUp);
        message.Attribute(InterfaceName, name);
        message.Attribute(Master, (uint)bridgeIndex);
        var linkInfo = message.Begin(LinkInfo);
        message.Attribute(InfoKind, "veth");
        var data = message.Begin(InfoData);
        var peer = message.Begin(VethPeer);
        message.InterfaceInfo(0, 0, 0);
        message.Attribute(InterfaceName, peerName);
        message.Attribute(NetnsFd, (uint)peerHandle.DangerousGetHandle().ToInt32());
        message.End(peer);
        message.End(data);
        message.End(linkInfo);
        Send(message, $"adding veth {name} (peer {peerName} in netns {peerNetns}) on {bridge}");
    }

    public void SetUp(string name)
    {
        var message = new Message(NewLink, Request | Acknowledge);
        message.InterfaceInfo(IndexOf(name), InterfaceUp, InterfaceUp);
        Send(message, $"setting {name} up");
    }

    public void AddAddress(string name, IPAddress address, int prefixLength)
    {
        var message = new Message(NewAddress, Request | Acknowledge | Create | Exclusive);
        message.AddressInfo((byte)prefixLength, IndexOf(name));
        message.Attribute(LocalAddress, address.GetAddressBytes());
        message.Attribute(AddressAttribute, address.GetAddressBytes());
        Send(message, $"adding {address}/{prefixLength} to {name}");
    }

    public void AddDefaultRoute(IPAddress gateway)
    {
        var message = new Message(NewRoute, Request | Acknowledge | Create | Exclusive);
        message.RouteInfo();
        message.Attribute(Gateway, gateway.GetAddressBytes());
        Send(message, $"adding the default route via {gateway}");
    }

    public void Dispose() => _ = CloseSocket(socket);

    private int IndexOf(string name)
    {
        var message = new Message(GetLink, Request);
        message.InterfaceInfo(0, 0, 0);
        message.Attribute(InterfaceName, name);
        var reply = Exchange(message, $"looking up {name}");
        // nlmsghdr (16 bytes), then ifinfomsg: family, pad, type (4 bytes), then the index.
        return BinaryPrimitives.ReadInt32LittleEndian(reply.AsSpan(20));
    }

    private void Send(Message message, string what) => Exchange(message, what);

    /// <summary>Sends one request and returns the kernel's answer to it: the acknowledgement, or the object asked for.</summary>
    private byte[] Exchange(Message message, string what)
    {
        var bytes = message.Finish(++sequence);
        if (Write(socket, bytes, bytes.Length, 0) != bytes.Length)
        {
            throw new InvalidOperationException($"netlink in netns {netns}, {what}: sending failed: {Marshal.GetLastPInvokeErrorMessage()}");
        }

        var buffer = new byte[16384];
        while (true)
        {
            var length = Read(socket, buffer, buffer.Length, 0);
            if (length < 16)
            {
                throw new InvalidOperationException($"netlink in netns {netns}, {what}: no answer: {Marshal.GetLastPInvokeErrorMessage()}");
            }

            var type = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(4));
            if (BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(8)) != sequence)
            {
                continue;
            }

            if (type == Error)
            {
                var error = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(16));
                return error == 0 ? [] : throw new InvalidOperationException($"netlink in netns {netns}, {what}: {Marshal.GetPInvokeErrorMessage(-error)}");
            }

            return buffer[..(int)length];
        }
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNamespace(int fd, int type);

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int OpenSocket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static partial nint Write(int socket, byte[] buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static partial nint Read(int socket, byte[] buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int CloseSocket(int fd);

    /// <summary>One netlink request: header, family header, attributes (4-byte aligned, nested ones sized when closed).</summary>
    private sealed class Message(ushort type, ushort flags)
    {
        private readonly List<byte> bytes = [.. new byte[16]];

        public void InterfaceInfo(int index, uint interfaceFlags, uint change)
        {
            var body = new byte[16];
            BinaryPrimitives.WriteInt32LittleEndian(body.AsSpan(4), index);
            BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(8), interfaceFlags);
            BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(12), change);
            bytes.AddRange(body);
        }

        public void AddressInfo(byte prefixLength, int index)
        {
            var body = new byte[8];
            body[0] = (byte)System.Net.Sockets.AddressFamily.InterNetwork;
            body[1] = prefixLength;
            BinaryPrimitives.WriteInt32LittleEndian(body.AsSpan(4), index);
            bytes.AddRange(body);
        }

        /// <summary>rtmsg of a unicast IPv4 route in the main table, scope universe, as `ip route add` makes one.</summary>
        public void RouteInfo()
        {
            const byte MainTable = 254;
            const byte BootProtocol = 3;
            const byte Unicast = 1;
            bytes.AddRange([(byte)System.Net.Sockets.AddressFamily.InterNetwork, 0, 0, 0, MainTable, BootProtocol, 0, Unicast, 0, 0, 0, 0]);
        }

        public void Attribute(ushort attribute, string value) => Attribute(attribute, [.. System.Text.Encoding.ASCII.GetBytes(value), 0]);

        public void Attribute(ushort attribute, uint value)
        {
            var data = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(data, value);
            Attribute(attribute, data);
        }

        public void Attribute(ushort attribute, byte[] data)
        {
            var start = Begin(attribute);
            bytes.AddRange(data);
            End(start);
        }

        public int Begin(ushort attribute)
        {
            var start = bytes.Count;
            bytes.AddRange([0, 0, (byte)attribute, (byte)(attribute >> 8)]);
            return start;
        }

        public void End(int start)
        {
            var length = bytes.Count - start;
            bytes[start] = (byte)length;
            bytes[start + 1] = (byte)(length >> 8);
            while (bytes.Count % 4 != 0)
            {
                bytes.Add(0);
            }
        }

        public byte[] Finish(uint sequence)
        {
            var message = bytes.ToArray();
            BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)message.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(4), type);
            BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(6), flags);
            BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(8), sequence);
            return message;
        }
    }
}
