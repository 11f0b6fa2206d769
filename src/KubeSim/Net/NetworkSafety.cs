using System.Net;
using System.Text.Json;
using IstioPodNetwork.KubeSim.Sandbox;

namespace IstioPodNetwork.KubeSim.Net;

/// <summary>
/// Keeps KubeSim off the machine's real network: it listens on loopback, or on an address of a test
/// interface the caller names, never on eth0 or the real ranges 192.0.2.0/24 and fd00::/64.
/// </summary>
internal static class NetworkSafety
{
    public const string RealInterface = "eth0";

    private static readonly Ipv4Network RealV4 = Ipv4Network.Parse("192.0.2.0/24", "real network");

    public static async Task CheckListenAsync(IPAddress address, string? interfaceName)
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
        if (!(await AddressesOfAsync(interfaceName)).Contains(address))
        {
            throw new ArgumentException($"listen address {address}: not assigned to interface \"{interfaceName}\"");
        }
    }

    /// <summary>
    /// The addresses `ip` shows on one interface. Asked of that interface alone: enumerating every interface
    /// (NetworkInterface.GetAllNetworkInterfaces) failed with "An invalid IP address was specified" while
    /// other tests made and removed veths.
    /// </summary>
    private static async Task<HashSet<IPAddress>> AddressesOfAsync(string interfaceName)
    {
        string json;
        try
        {
            json = await Command.RunAsync("ip", ["-j", "addr", "show", "dev", interfaceName]);
        }
        catch (InvalidOperationException e)
        {
            throw new ArgumentException($"listen interface \"{interfaceName}\": no such interface ({e.Message})", e);
        }

        using var document = JsonDocument.Parse(json);
        return
        [
            .. document.RootElement.EnumerateArray()
                .SelectMany(link => link.TryGetProperty("addr_info", out var addresses) ? addresses.EnumerateArray() : Enumerable.Empty<JsonElement>())
                .Select(address => address.TryGetProperty("local", out var local) && IPAddress.TryParse(local.GetString(), out var parsed) ? parsed : null)
                .OfType<IPAddress>(),
        ];
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
