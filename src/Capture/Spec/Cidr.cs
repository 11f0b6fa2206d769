using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace IstioPodNetwork.Capture.Spec;

/// <summary>
/// An IP prefix as iptables prints it: the network address (host bits cleared) and the prefix length.
/// Parsing is as strict as Go's netip.ParsePrefix, which Istio uses: dotted-quad IPv4 without
/// leading zeros, IPv6 without a zone, a decimal prefix length in range.
/// </summary>
public readonly record struct Cidr(IPAddress Network, int PrefixLength)
{
    public IpFamily Family => Network.AddressFamily == AddressFamily.InterNetworkV6 ? IpFamily.IPv6 : IpFamily.IPv4;

    /// <summary>True when the written address is a loopback one (Istio's HasLoopBackIP looks at the address, not the whole range).</summary>
    public bool StartsAtLoopback { get; private init; }

    public static bool TryParse(string text, out Cidr cidr)
    {
        cidr = default;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == text.Length - 1)
        {
            return false;
        }

        var addressText = text[..slash];
        var lengthText = text[(slash + 1)..];
        if (!TryParseAddress(addressText, out var address)
            || lengthText.Length > 3
            || (lengthText.Length > 1 && lengthText[0] == '0')
            || !lengthText.All(char.IsAsciiDigit)
            || !int.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out var length))
        {
            return false;
        }

        var bits = address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        if (length > bits)
        {
            return false;
        }

        cidr = new Cidr(Mask(address, length), length) { StartsAtLoopback = IPAddress.IsLoopback(address) };
        return true;
    }

    public override string ToString() => $"{Network}/{PrefixLength}";

    private static bool TryParseAddress(string text, out IPAddress address)
    {
        address = IPAddress.None;
        if (text.Contains(':', StringComparison.Ordinal))
        {
            return !text.Contains('%', StringComparison.Ordinal)
                && IPAddress.TryParse(text, out address!)
                && address.AddressFamily == AddressFamily.InterNetworkV6;
        }

        var parts = text.Split('.');
        if (parts.Length != 4)
        {
            return false;
        }

        var bytes = new byte[4];
        for (var i = 0; i < 4; i++)
        {
            var part = parts[i];
            if (part.Length is 0 or > 3 || (part.Length > 1 && part[0] == '0') || !part.All(char.IsAsciiDigit))
            {
                return false;
            }

            var value = int.Parse(part, NumberStyles.None, CultureInfo.InvariantCulture);
            if (value > 255)
            {
                return false;
            }

            bytes[i] = (byte)value;
        }

        address = new IPAddress(bytes);
        return true;
    }

    private static IPAddress Mask(IPAddress address, int length)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(length - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }

        return new IPAddress(bytes);
    }
}
