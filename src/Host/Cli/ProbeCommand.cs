using System.CommandLine;
using System.Globalization;
using System.Net;
using IstioPodNetwork.Capture.Validation;
using IstioPodNetwork.Host.Configuration;

namespace IstioPodNetwork.Host.Cli;

/// <summary>
/// `ipnc probe`: proves a pod's traffic capture with real connections (see <see cref="TrafficProbe"/>), one
/// line per check. Exit 0 when every check was captured, 1 when one was not (or could not run), 2 on a usage
/// error. Runs on the node as root, like the agent: it joins the pod's network namespace.
/// </summary>
public static class ProbeCommand
{
    private static readonly Setting[] ProxyPorts = [SettingsCatalog.CaptureOutboundPort, SettingsCatalog.CaptureInboundPort];

    private static readonly SettingParser<IPEndPoint> Endpoint = new(raw =>
        IPEndPoint.TryParse(raw.Trim(), out var endpoint) && endpoint.Port > 0 && raw.Contains(':', StringComparison.Ordinal)
            ? Parsed.Ok(endpoint)
            : Parsed.Fail<IPEndPoint>("IP:PORT such as 10.0.0.7:9080 or [fd00::7]:9080"));

    private static readonly SettingParser<uint> Id = new(raw =>
        uint.TryParse(raw.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id != uint.MaxValue
            ? Parsed.Ok(id)
            : Parsed.Fail<uint>("a numeric id from 0 to 4294967294"));

    private static readonly SettingParser<int> Pid = new(raw =>
        int.TryParse(raw.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0
            ? Parsed.Ok(pid)
            : Parsed.Fail<int>("a process id (a whole number from 1)"));

    public static Command Create()
    {
        var netns = new Option<string>("--netns") { Description = "The pod's network namespace file, e.g. /run/netns/NAME or /proc/PID/ns/net." };
        var podPid = new Option<string>("--pod-pid") { Description = "A process of the pod (e.g. its pause process); its network namespace is probed." };
        var to = new Option<string>("--to") { Description = "Outbound check: an application in the pod connects to this IP:PORT outside it; captured when it lands on the outbound proxy port." };
        var uid = new Option<string>("--uid") { Description = "User id the outbound check connects as (the proxy's own 1337 is never captured).", DefaultValueFactory = _ => "1000" };
        var gid = new Option<string>("--gid") { Description = "Group id the outbound check connects as (default: the --uid)." };
        var inbound = new Option<string>("--inbound") { Description = "Inbound check: a caller outside the pod connects to this pod IP:PORT; captured when it lands on the inbound proxy port." };
        var from = new Option<string>("--from-netns") { Description = "Network namespace the inbound caller connects from (default: ipnc's own, the node's)." };
        var tproxy = new Option<bool>("--tproxy") { Description = "The pod uses TPROXY interception (the inbound stand-in listens transparently)." };
        var timeout = new Option<string>("--timeout") { Description = "Bound of each check.", DefaultValueFactory = _ => "3s" };
        var command = new Command(
            "probe",
            "Prove a pod's traffic capture with real connections: a stand-in proxy listens on the proxy port inside the pod's network namespace while a connection is made; "
            + "captured when it lands there, with its original destination. Needs root. Exit codes: 0 captured, 1 not captured (or the check could not run), 2 usage error.")
        {
            netns, podPid, to, uid, gid, inbound, from, tproxy, timeout,
        };
        var settingOptions = SettingOptions.AddTo(command, ProxyPorts);

        command.SetAction(async (parse, cancellation) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            if (!settingOptions.TryBuild(parse, values => (Outbound: values.Get(SettingsCatalog.CaptureOutboundPort), Inbound: values.Get(SettingsCatalog.CaptureInboundPort)), out var ports))
            {
                return ExitCodes.Usage;
            }

            var problems = new List<string>();
            T? Value<T>(Option<string> option, SettingParser<T> parser)
            {
                if (parse.GetValue(option) is not { } raw)
                {
                    return default;
                }

                var parsed = parser.Parse(raw);
                if (parsed.Expected is not null)
                {
                    problems.Add($"invalid value '{raw}' for {option.Name}: expected {parsed.Expected}");
                }

                return parsed.Value;
            }

            var pid = Value(podPid, Pid);
            var outboundTo = Value(to, Endpoint);
            var inboundTo = Value(inbound, Endpoint);
            var user = Value(uid, Id);
            var group = parse.GetValue(gid) is null ? user : Value(gid, Id);
            var bound = Value(timeout, SettingParsers.Duration);
            var podNetns = parse.GetValue(netns);
            if ((podNetns is null) == (parse.GetValue(podPid) is null))
            {
                problems.Add("give the pod's network namespace with exactly one of --netns PATH and --pod-pid PID");
            }

            if (parse.GetValue(to) is null && parse.GetValue(inbound) is null)
            {
                problems.Add("nothing to check: give --to IP:PORT (outbound), --inbound IP:PORT, or both");
            }

            if (problems.Count > 0)
            {
                await error.WriteLineAsync($"ipnc: {problems[0]} (see 'ipnc probe --help')");
                return ExitCodes.Usage;
            }

            podNetns ??= $"/proc/{pid}/ns/net";
            var allCaptured = true;
            async Task ReportAsync(object probe, ProbeResult result)
            {
                await output.WriteLineAsync($"{probe}: {result}");
                allCaptured &= result is ProbeResult.Captured;
            }

            if (outboundTo is not null)
            {
                var probe = new OutboundProbe(podNetns, outboundTo, user, group, ports.Outbound) { Timeout = bound };
                await ReportAsync(probe, await TrafficProbe.RunAsync(probe, cancellation));
            }

            if (inboundTo is not null)
            {
                var probe = new InboundProbe(podNetns, inboundTo, parse.GetValue(from) ?? "/proc/self/ns/net", ports.Inbound, parse.GetValue(tproxy)) { Timeout = bound };
                await ReportAsync(probe, await TrafficProbe.RunAsync(probe, cancellation));
            }

            return allCaptured ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }
}
