using System.Net;
using System.Net.NetworkInformation;

namespace IstioPodNetwork.KubeSim.Net;

/// <summary>
/// Keeps KubeSim off the machine's real network: it listens on loopback, or on an address of a test
/// interface the caller names, never on eth0 or the real ranges 192.0.2.0/24 and fd00::/64.
/// </summary>
internal static class NetworkSafety
{
    public const string RealInterface = "eth0";

    private static readonly Ipv4Network RealV4 = Ipv4Network.Parse("192.0.2.0/24", "real network");

    public static void CheckListen(IPAddress address, string? interfaceName)
    {
        if (IPAddress.IsLoopback(address))
        {
            return;
        }

        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            throw new ArgumentException($"listen address {address}: refusing to listen on every interface; give loopback or an address of a test bridge");
        }

        CheckNotReal(address, "listen address");
        if (string.IsNullOrEmpty(interfaceName))
        {
            throw new ArgumentException($"listen address {address}: not loopback, so the test interface holding it must be named (--listen-interface / ListenInterface)");
        }

        CheckTestInterfaceName(interfaceName, "listen interface");
        var nic = NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == interfaceName)
            ?? throw new ArgumentException($"listen interface \"{interfaceName}\": no such interface");
        if (!nic.GetIPProperties().UnicastAddresses.Any(a => a.Address.Equals(address)))
        {
            throw new ArgumentException($"listen address {address}: not assigned to interface \"{interfaceName}\"");
        }
    }

    public static void CheckTestInterfaceName(string name, string what)
    {
        if (name == RealInterface || name == "lo" || name.Length is 0 or > 15 || name.Contains('/'))
        {
            throw new ArgumentException($"{what} \"{name}\": expected a test interface made for this run (not {RealInterface} or lo, at most 15 characters)");
        }
    }

    public static void CheckNotReal(IPAddress address, string what)
    {
        var bytes = address.GetAddressBytes();
        var realV6 = bytes.Length == 16 && bytes[0] == 0xfd && bytes.Skip(1).Take(7).All(b => b == 0);
        if (RealV4.Contains(address) || realV6)
        {
            throw new ArgumentException($"{what} {address}: belongs to the machine's real network (192.0.2.0/24, fd00::/64 on {RealInterface})");
        }
    }

    public static void CheckNotReal(Ipv4Network network, string what)
    {
        if (network.Overlaps(RealV4))
        {
            throw new ArgumentException($"{what} {network}: overlaps the machine's real network 192.0.2.0/24");
        }
    }
}
