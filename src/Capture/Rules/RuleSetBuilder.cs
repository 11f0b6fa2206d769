using System.Collections.Immutable;
using IstioPodNetwork.Capture.Spec;

namespace IstioPodNetwork.Capture.Rules;

/// <summary>
/// <see cref="CaptureSpec"/> → <see cref="RuleSet"/>: the rules Istio's sidecar capture programs
/// (tools/istio-iptables capture/run.go, as its CNI plugin drives it), in the same chains and the
/// same order, each commented with its purpose. Pure.
/// </summary>
public static class RuleSetBuilder
{
    public const string IstioPrefix = "ISTIO_";
    public const string Inbound = "ISTIO_INBOUND";
    public const string Redirect = "ISTIO_REDIRECT";
    public const string InRedirect = "ISTIO_IN_REDIRECT";
    public const string Output = "ISTIO_OUTPUT";
    public const string OutputDns = "ISTIO_OUTPUT_DNS";
    public const string Divert = "ISTIO_DIVERT";
    public const string Tproxy = "ISTIO_TPROXY";
    public const string Drop = "ISTIO_DROP";

    private const string Mangle = "mangle";
    private const string Nat = "nat";
    private const string Raw = "raw";

    public static RuleSet Build(CaptureSpec spec) =>
        new([.. spec.Families.Select(family => BuildFamily(spec, family))], spec.Mode == InterceptionMode.Tproxy);

    private static FamilyRules BuildFamily(CaptureSpec spec, IpFamily family)
    {
        var rules = new Tables();
        var v4 = family == IpFamily.IPv4;
        var loopback = v4 ? "127.0.0.1/32" : "::1/128";
        var passthroughSource = v4 ? "127.0.0.6/32" : "::6/128";
        var tproxy = spec.Mode == InterceptionMode.Tproxy;
        var tproxyMark = Match.Hex(CaptureSpec.TproxyMark) + "/0xffffffff";

        foreach (var device in spec.ExcludedInterfaces)
        {
            rules.Append(Nat, "PREROUTING", Match.All.In(device), "RETURN", "skip traffic from an excluded interface");
            rules.Append(Nat, "OUTPUT", Match.All.Out(device), "RETURN", "skip traffic to an excluded interface");
        }

        if (tproxy)
        {
            foreach (var device in spec.ExcludedInterfaces)
            {
                rules.Append(Mangle, "PREROUTING", Match.All.In(device), "RETURN", "skip traffic from an excluded interface");
                rules.Append(Mangle, "OUTPUT", Match.All.Out(device), "RETURN", "skip traffic to an excluded interface");
            }
        }

        foreach (var device in spec.RerouteVirtualInterfaces)
        {
            rules.Insert(Nat, "PREROUTING", 1, Match.All.In(device), "RETURN", "do not capture inbound traffic of a virtual interface");
        }

        if (spec.DropInvalid)
        {
            rules.Append(Mangle, "PREROUTING", Match.All.ConnState("INVALID"), Drop, "drop packets conntrack finds invalid");
            rules.Append(Mangle, Drop, Match.All, "DROP", "drop invalid packets instead of resetting the connection");
        }

        rules.Append(Nat, Inbound, Match.Tcp.DestinationPort(spec.TunnelPort), "RETURN", "never capture the proxy tunnel port");
        rules.Append(Nat, Redirect, Match.Tcp, $"REDIRECT --to-ports {spec.OutboundCapturePort}", "to the proxy outbound port");
        rules.Append(Nat, InRedirect, Match.Tcp, $"REDIRECT --to-ports {spec.InboundCapturePort}", "to the proxy inbound port");

        AddInbound(spec, rules, loopback, tproxyMark);

        rules.Append(Nat, "OUTPUT", Match.All, Output, "capture outbound traffic");
        foreach (var port in spec.ExcludedOutboundPorts)
        {
            rules.Append(Nat, Output, Match.Tcp.DestinationPort(port), "RETURN", $"outbound port {port} excluded");
            rules.Append(Nat, Output, Match.Udp.DestinationPort(port), "RETURN", $"outbound port {port} excluded");
        }

        rules.Append(Nat, Output, Match.All.Out("lo").Source(passthroughSource), "RETURN", "inbound passthrough from the proxy");

        // Istio keeps app-to-itself loopback traffic out of the proxy unless the include list names a loopback range.
        var loopbackIncluded = spec.IncludedOutboundRanges.Ranges.Any(r => r.StartsAtLoopback);
        AddOwnerRules(spec, rules, loopback, loopbackIncluded, spec.ProxyUid, (m, negated) => m.UidOwner(spec.ProxyUid, negated), "UID", dnsAware: spec.CaptureDns);
        AddOwnerRules(spec, rules, loopback, loopbackIncluded, spec.ProxyGid, (m, negated) => m.GidOwner(spec.ProxyGid, negated), "GID", dnsAware: false);

        if (spec.CaptureDns)
        {
            AddDns(spec, rules);
        }

        rules.Append(Nat, Output, Match.All.Destination(loopback), "RETURN", "leave explicit localhost traffic alone");
        foreach (var cidr in spec.ExcludedOutboundRanges.Where(c => c.Family == family))
        {
            rules.Append(Nat, Output, Match.All.Destination(cidr.ToString()), "RETURN", $"outbound range {cidr} excluded");
        }

        foreach (var port in spec.IncludedOutboundPorts)
        {
            rules.Append(Nat, Output, Match.Tcp.DestinationPort(port), Redirect, $"outbound port {port} included");
        }

        if (spec.IncludedOutboundRanges.IsAll)
        {
            rules.Append(Nat, Output, Match.All, Redirect, "capture all other outbound traffic");
            foreach (var device in spec.RerouteVirtualInterfaces)
            {
                rules.Insert(Nat, "PREROUTING", 1, Match.All.In(device), Redirect, "reroute a virtual interface through the proxy");
            }
        }
        else
        {
            foreach (var cidr in spec.IncludedOutboundRanges.Ranges.Where(c => c.Family == family))
            {
                foreach (var device in spec.RerouteVirtualInterfaces)
                {
                    rules.Insert(Nat, "PREROUTING", 1, Match.All.In(device).Destination(cidr.ToString()), Redirect, "reroute a virtual interface through the proxy");
                }

                rules.Append(Nat, Output, Match.All.Destination(cidr.ToString()), Redirect, $"outbound range {cidr} included");
            }
        }

        if (tproxy)
        {
            AddTproxyMarks(spec, rules, loopback, passthroughSource);
        }

        return new FamilyRules(family, rules.Build());
    }

    private static void AddInbound(CaptureSpec spec, Tables rules, string loopback, string tproxyMark)
    {
        if (spec.InboundPorts.IsNone)
        {
            return;
        }

        var tproxy = spec.Mode == InterceptionMode.Tproxy;
        var table = tproxy ? Mangle : Nat;
        if (tproxy)
        {
            rules.Append(Mangle, Divert, Match.All, $"MARK --set-xmark {tproxyMark}", "mark diverted inbound packets for TPROXY routing");
            rules.Append(Mangle, Divert, Match.All, "ACCEPT", "deliver diverted inbound packets");
            var onIp = loopback.StartsWith("127.", StringComparison.Ordinal) ? "0.0.0.0" : "::";
            rules.Append(Mangle, Tproxy, Match.Tcp.Destination(loopback, negated: true), $"TPROXY --on-port {spec.InboundCapturePort} --on-ip {onIp} --tproxy-mark {tproxyMark}", "to the proxy inbound port, keeping the destination");
        }

        rules.Append(table, "PREROUTING", Match.Tcp, Inbound, "capture inbound traffic");
        if (spec.InboundPorts.IsAll)
        {
            foreach (var port in spec.ExcludedInboundPorts)
            {
                rules.Append(table, Inbound, Match.Tcp.DestinationPort(port), "RETURN", $"inbound port {port} excluded");
            }

            if (tproxy)
            {
                rules.Append(Mangle, Inbound, Match.Tcp.ConnState("RELATED,ESTABLISHED"), Divert, "established inbound connections");
                rules.Append(Mangle, Inbound, Match.Tcp, Tproxy, "capture new inbound connections");
            }
            else
            {
                rules.Append(Nat, Inbound, Match.Tcp, InRedirect, "capture all other inbound ports");
            }

            return;
        }

        foreach (var port in spec.InboundPorts.Ports)
        {
            if (tproxy)
            {
                rules.Append(Mangle, Inbound, Match.Tcp.DestinationPort(port).ConnState("RELATED,ESTABLISHED"), Divert, $"established inbound connections to port {port}");
                rules.Append(Mangle, Inbound, Match.Tcp.DestinationPort(port), Tproxy, $"capture inbound port {port}");
            }
            else
            {
                rules.Append(Nat, Inbound, Match.Tcp.DestinationPort(port), InRedirect, $"capture inbound port {port}");
            }
        }
    }

    private static void AddOwnerRules(
        CaptureSpec spec, Tables rules, string loopback, bool loopbackIncluded, uint id, Func<Match, bool, Match> owner, string kind, bool dnsAware)
    {
        var toSelf = Match.All.Out("lo").Destination(loopback, negated: true).Protocol("tcp");
        toSelf = dnsAware ? toSelf.NotDestinationPorts(53, spec.TunnelPort) : toSelf.DestinationPort(spec.TunnelPort, negated: true);
        rules.Append(Nat, Output, owner(toSelf, false), InRedirect, $"proxy {kind} {id} calling its own pod through a service goes inbound");
        if (!loopbackIncluded)
        {
            var appLoopback = spec.CaptureDns ? Match.All.Out("lo").Protocol("tcp").DestinationPort(53, negated: true) : Match.All.Out("lo");
            rules.Append(Nat, Output, owner(appLoopback, true), "RETURN", $"app loopback traffic (not {kind} {id}) stays local");
        }

        rules.Append(Nat, Output, owner(Match.All, false), "RETURN", $"never capture traffic of the proxy ({kind} {id})");
    }

    private static void AddDns(CaptureSpec spec, Tables rules)
    {
        rules.Append(Raw, "OUTPUT", Match.All, OutputDns, "DNS conntrack zones");
        rules.Append(Nat, Output, Match.All, OutputDns, "capture DNS");
        rules.Append(Nat, OutputDns, Match.Tcp.DestinationPort(53), $"REDIRECT --to-ports {CaptureSpec.DnsProxyPort}", "DNS over TCP to the istio-agent DNS proxy");
        rules.Append(Nat, OutputDns, Match.Udp.DestinationPort(53), $"REDIRECT --to-ports {CaptureSpec.DnsProxyPort}", "DNS over UDP to the istio-agent DNS proxy");
        foreach (var (owner, kind, id) in new[]
        {
            ((Func<Match, Match>)(m => m.UidOwner(spec.ProxyUid)), "UID", spec.ProxyUid),
            (m => m.GidOwner(spec.ProxyGid), "GID", spec.ProxyGid),
        })
        {
            rules.Append(Raw, OutputDns, owner(Match.Udp.DestinationPort(53)), "CT --zone 1", $"upstream DNS queries of the proxy ({kind} {id})");
            rules.Append(Raw, OutputDns, owner(Match.Udp.SourcePort(CaptureSpec.DnsProxyPort)), "CT --zone 2", $"DNS answers of the proxy ({kind} {id}) to the app");
        }

        rules.Append(Raw, "PREROUTING", Match.All, Inbound, "DNS conntrack zones");
        rules.Append(Raw, OutputDns, Match.Udp.DestinationPort(53), "CT --zone 2", "DNS queries of the app");
        rules.Append(Raw, Inbound, Match.Udp.SourcePort(53), "CT --zone 1", "DNS answers from upstream");
    }

    private static void AddTproxyMarks(CaptureSpec spec, Tables rules, string loopback, string passthroughSource)
    {
        var mark = CaptureSpec.TproxyMark;
        var outboundMark = Match.Hex(CaptureSpec.OutboundMark) + "/0xffffffff";
        rules.Append(Mangle, "PREROUTING", Match.Tcp.Mark(mark), "CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff", "remember the TPROXY mark on the connection");
        rules.Append(Mangle, "OUTPUT", Match.Tcp.Out("lo").Mark(mark), "RETURN", "proxy-to-app traffic is marked already");
        rules.Append(Mangle, "OUTPUT", Match.Tcp.Destination(loopback, negated: true).Out("lo").UidOwner(spec.ProxyUid), $"MARK --set-xmark {outboundMark}", $"mark calls of the proxy (UID {spec.ProxyUid}) to the app");
        rules.Append(Mangle, "OUTPUT", Match.Tcp.Destination(loopback, negated: true).Out("lo").GidOwner(spec.ProxyGid), $"MARK --set-xmark {outboundMark}", $"mark calls of the proxy (GID {spec.ProxyGid}) to the app");
        rules.Append(Mangle, "OUTPUT", Match.Tcp.ConnMark(mark), "CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff", "route replies of TPROXY connections back through the proxy");
        rules.Insert(Mangle, Inbound, 1, Match.Tcp.Mark(mark), "RETURN", "already diverted");
        rules.Insert(Mangle, Inbound, 2, Match.Tcp.Source(passthroughSource).In("lo"), "RETURN", "inbound passthrough from the proxy");
        rules.Insert(Mangle, Inbound, 3, Match.Tcp.In("lo").Mark(CaptureSpec.OutboundMark, negated: true), "RETURN", "app calling itself by pod IP");
    }

    /// <summary>Rules per table and chain as Istio's builder would leave them after its appends and inserts.</summary>
    private sealed class Tables
    {
        private static readonly string[] TableOrder = [Mangle, Nat, Raw];
        private readonly Dictionary<string, List<(string Chain, List<Rule> Rules)>> tables = [];

        public void Append(string table, string chain, Match match, string target, string purpose) =>
            ChainRules(table, chain).Add(new Rule(chain, match.ToString(), target, purpose));

        public void Insert(string table, string chain, int position, Match match, string target, string purpose)
        {
            var list = ChainRules(table, chain);
            list.Insert(Math.Min(position - 1, list.Count), new Rule(chain, match.ToString(), target, purpose));
        }

        public ImmutableArray<TableRules> Build() =>
        [
            .. TableOrder.Where(tables.ContainsKey).Select(name =>
            {
                var chains = tables[name];
                var rules = chains.SelectMany(c => c.Rules).ToImmutableArray();
                var jumpTargets = rules.Select(r => r.Target).Where(t => t.StartsWith(IstioPrefix, StringComparison.Ordinal));
                var declared = chains.Select(c => c.Chain).Where(c => c.StartsWith(IstioPrefix, StringComparison.Ordinal)).Concat(jumpTargets).Distinct();
                return new TableRules(name, [.. declared], rules);
            }),
        ];

        private List<Rule> ChainRules(string table, string chain)
        {
            if (!tables.TryGetValue(table, out var chains))
            {
                chains = [];
                tables[table] = chains;
            }

            var index = chains.FindIndex(c => c.Chain == chain);
            if (index < 0)
            {
                chains.Add((chain, []));
                index = chains.Count - 1;
            }

            return chains[index].Rules;
        }
    }
}
