using System.Globalization;

namespace IstioPodNetwork.Capture.Rules;

/// <summary>
/// Builds a rule's match part in iptables-save's canonical order (-s, -d, -i, -o, -p, then the
/// modules in the order given), whatever order the builder is called in; port matches get the
/// explicit <c>-m tcp</c>/<c>-m udp</c> that iptables-save prints.
/// </summary>
internal sealed class Match
{
    private readonly List<string> modules = [];
    private string? source;
    private string? destination;
    private string? inInterface;
    private string? outInterface;
    private string? protocol;

    public static Match All => new();

    public static Match Tcp => new Match().Protocol("tcp");

    public static Match Udp => new Match().Protocol("udp");

    public Match Protocol(string name)
    {
        protocol = name;
        return this;
    }

    public Match Source(string cidr)
    {
        source = "-s " + cidr;
        return this;
    }

    public Match Destination(string cidr, bool negated = false)
    {
        destination = (negated ? "! -d " : "-d ") + cidr;
        return this;
    }

    public Match In(string device)
    {
        inInterface = "-i " + device;
        return this;
    }

    public Match Out(string device)
    {
        outInterface = "-o " + device;
        return this;
    }

    public Match DestinationPort(int port, bool negated = false) => PortMatch("--dport", port, negated);

    public Match SourcePort(int port) => PortMatch("--sport", port, negated: false);

    public Match NotDestinationPorts(params int[] ports) =>
        Module($"-m multiport ! --dports {string.Join(",", ports.Select(p => p.ToString(CultureInfo.InvariantCulture)))}");

    public Match UidOwner(uint uid, bool negated = false) => Module($"-m owner {(negated ? "! " : string.Empty)}--uid-owner {uid}");

    public Match GidOwner(uint gid, bool negated = false) => Module($"-m owner {(negated ? "! " : string.Empty)}--gid-owner {gid}");

    public Match Mark(uint mark, bool negated = false) => Module($"-m mark {(negated ? "! " : string.Empty)}--mark {Hex(mark)}");

    public Match ConnMark(uint mark) => Module($"-m connmark --mark {Hex(mark)}");

    public Match ConnState(string states) => Module($"-m conntrack --ctstate {states}");

    public static string Hex(uint value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);

    public override string ToString() =>
        string.Join(' ', new[] { source, destination, inInterface, outInterface, protocol is null ? null : "-p " + protocol }
            .Where(part => part is not null)
            .Concat(modules));

    private Match PortMatch(string option, int port, bool negated) =>
        Module($"-m {protocol ?? throw new InvalidOperationException("a port match needs -p tcp or -p udp first")} {(negated ? "! " : string.Empty)}{option} {port}");

    private Match Module(string text)
    {
        modules.Add(text);
        return this;
    }
}
