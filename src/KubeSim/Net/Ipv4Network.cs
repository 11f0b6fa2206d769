using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace IstioPodNetwork.KubeSim.Net;

/// <summary>An IPv4 subnet such as 10.201.0.0/16, parsed once at the edge.</summary>
internal readonly record struct Ipv4Network(uint Base, int PrefixLength)
{
    public uint Size => PrefixLength == 0 ? uint.MaxValue : 1u << (32 - PrefixLength);

    public IPAddress Network => ToAddress(Base);

    /// <summary>Parses "a.b.c.d/n"; the error names <paramref name="what"/>, the value and what was expected.</summary>
    public static Ipv4Network Parse(string text, string what)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0
            || !IPAddress.TryParse(text[..slash], out var address)
            || address.AddressFamily != AddressFamily.InterNetwork
            || !int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var length)
            || length is < 1 or > 30)
        {
            throw new ArgumentException($"{what}: \"{text}\" is not an IPv4 CIDR such as 10.201.0.0/16 (prefix length 1 to 30)");
        }

        var value = ToUInt(address);
        var mask = uint.MaxValue << (32 - length);
        return new Ipv4Network(value & mask, length);
    }

    public IPAddress Host(long offset) => offset < 0 || offset >= Size
        ? throw new ArgumentOutOfRangeException(nameof(offset), offset, $"outside {this}")
        : ToAddress(Base + (uint)offset);

    /// <summary>The <paramref name="index"/>-th subnet of length <paramref name="length"/> inside this one.</summary>
    public Ipv4Network Subnet(int index, int length)
    {
        var size = 1u << (32 - length);
        return length < PrefixLength || (ulong)(index + 1) * size > Size
            ? throw new ArgumentOutOfRangeException(nameof(index), index, $"{this} has no /{length} number {index}")
            : new Ipv4Network(Base + ((uint)index * size), length);
    }

    public bool Contains(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork && (ToUInt(address) & (uint.MaxValue << (32 - PrefixLength))) == Base;

    public bool Overlaps(Ipv4Network other)
    {
        var shorter = Math.Min(PrefixLength, other.PrefixLength);
        var mask = uint.MaxValue << (32 - shorter);
        return (Base & mask) == (other.Base & mask);
    }

    public override string ToString() => $"{Network}/{PrefixLength}";

    public static uint ToUInt(IPAddress address)
    {
        var b = address.GetAddressBytes();
        return (uint)b[0] << 24 | (uint)b[1] << 16 | (uint)b[2] << 8 | b[3];
    }

    public static IPAddress ToAddress(uint value) =>
        new([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);
}
