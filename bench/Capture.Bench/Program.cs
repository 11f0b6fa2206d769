using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using IstioPodNetwork.Capture.Bench;
using IstioPodNetwork.Capture.Processes;
using IstioPodNetwork.Capture.Programming;
using IstioPodNetwork.Capture.Rules;
using IstioPodNetwork.Capture.Spec;

// Programming one pod the way the agent does it (detect the backend, apply, verify), against, in the
// same run: (a) the floor, one bare `nsenter --net=… iptables-restore` of the same text, and (b) the
// original project's method, one `iptables` process per rule. Each pod gets a fresh netns. Needs root.
const int Pods = 200;
const int Warmup = 10;

var prefix = "ipb" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2));
var runner = new ProcessRunner();
var tools = IptablesTools.FromPath();
var spec = CaptureSpecParser.Parse(
    new PodCaptureInput("bench", "pod", "uid", ImmutableDictionary<string, string>.Empty, null, [IPAddress.Parse("10.1.1.2")]),
    CaptureDefaults.Istio) is CaptureParseResult.Accepted accepted ? accepted.Spec : throw new InvalidOperationException("default spec rejected");
var rules = RuleSetBuilder.Build(spec);
var text = rules.For(IpFamily.IPv4)!.ToRestoreText();
var created = new List<string>();

async Task<string[]> MakeNetnsAsync(string label, int count)
{
    var names = Enumerable.Range(0, count).Select(i => $"{prefix}-{label}-{i}").ToArray();
    foreach (var name in names)
    {
        await Must(new ProcessRequest(["ip", "netns", "add", name]));
        created.Add(name);
    }

    return names;
}

async Task Must(ProcessRequest request)
{
    var result = await runner.RunAsync(request, CancellationToken.None);
    if (!result.Succeeded)
    {
        throw new InvalidOperationException($"{request} failed: {result.Describe()}");
    }
}

async Task<(List<double> Millis, double ProcessesPerPod)> MeasureAsync(string label, IProcessRunner counter, Func<string, Task> programPod)
{
    var netns = await MakeNetnsAsync(label, Pods + Warmup);
    var millis = new List<double>();
    var spawnedBefore = 0L;
    for (var i = 0; i < netns.Length; i++)
    {
        if (i == Warmup)
        {
            spawnedBefore = counter.Spawned;
        }

        var started = Stopwatch.GetTimestamp();
        await programPod("/var/run/netns/" + netns[i]);
        if (i >= Warmup)
        {
            millis.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    return (millis, (counter.Spawned - spawnedBefore) / (double)Pods);
}

async Task<Func<string, Task>> AgentPath(IProcessRunner through, ApplyOutcome expected)
{
    var programmer = new CaptureProgrammer(through, new NetnsProcFiles(), tools, IptablesBackendChoice.Auto);
    await Task.CompletedTask;
    return async netns =>
    {
        var outcome = await programmer.ApplyAsync(netns, rules, CancellationToken.None);
        var verified = await programmer.VerifyAsync(netns, rules, CancellationToken.None);
        if (outcome.GetType() != expected.GetType() || verified is not VerifyResult.Report { Clean: true })
        {
            throw new InvalidOperationException($"agent path in {netns}: {outcome}, {verified}");
        }
    };
}

try
{
    if (!tools.Has(IptablesBackend.Nft))
    {
        throw new InvalidOperationException("iptables-nft is not installed");
    }

    // Floor: exactly one process start into the netns, the same restore text.
    var floorRunner = new ProcessRunner();
    var floor = await MeasureAsync("floor", floorRunner, async netns =>
    {
        var result = await floorRunner.RunAsync(new ProcessRequest(["nsenter", "--net=" + netns, tools.Restore(IptablesBackend.Nft, IpFamily.IPv4), "--noflush"], text), CancellationToken.None);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(result.Describe());
        }
    });

    var setnsRunner = new ProcessRunner();
    var agent = await MeasureAsync("agent", setnsRunner, await AgentPath(setnsRunner, new ApplyOutcome.Applied(IptablesBackend.Nft)));

    var nsenterRunner = new NsenterRunner(new ProcessRunner());
    var agentNsenter = await MeasureAsync("nsenter", nsenterRunner, await AgentPath(nsenterRunner, new ApplyOutcome.Applied(IptablesBackend.Nft)));

    // The idempotent re-run (agent restart: every pod re-applied), on the netns the agent path programmed.
    var againRunner = new ProcessRunner();
    var again = await MeasureAgainAsync(againRunner);

    // The original project: its istio-iptables.sh inside the pod netns, one iptables process per command:
    // the clean-up it always starts with (errors ignored), the chains, the rules, and the three ip6tables
    // commands that block inbound IPv6. Run without its bash and nsenter, so this understates it a little.
    var perRuleRunner = new ProcessRunner();
    var iptables = tools.Restore(IptablesBackend.Nft, IpFamily.IPv4).Replace("-restore", string.Empty, StringComparison.Ordinal);
    var ip6tables = tools.Restore(IptablesBackend.Nft, IpFamily.IPv6).Replace("-restore", string.Empty, StringComparison.Ordinal);
    var cleanup = OriginalCleanup(iptables);
    var perRuleCommands = PerRuleCommands(rules.For(IpFamily.IPv4)!, iptables);
    var perRule = await MeasureAsync("perrule", perRuleRunner, async netns =>
    {
        foreach (var argv in cleanup)
        {
            await perRuleRunner.RunAsync(new ProcessRequest(argv, null, netns), CancellationToken.None);
        }

        foreach (var argv in perRuleCommands.Concat(OriginalIPv6Block(ip6tables)))
        {
            var result = await perRuleRunner.RunAsync(new ProcessRequest(argv, null, netns), CancellationToken.None);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException($"{string.Join(' ', argv)}: {result.Describe()}");
            }
        }
    });

    var floorMedian = Percentile(floor.Millis, 50);
    Console.WriteLine($"Capture.Bench: {Pods} pods, each a fresh netns, default Istio sidecar rules ({rules.For(IpFamily.IPv4)!.Tables.Sum(t => t.Rules.Length)} rules, IPv4, nft backend)");
    Console.WriteLine();
    Console.WriteLine($"{"method",-56} {"median ms",10} {"p99 ms",8} {"procs/pod",10} {"× floor",8}");
    void Row(string name, (List<double> Millis, double ProcessesPerPod) m) =>
        Console.WriteLine($"{name,-56} {Percentile(m.Millis, 50),10:0.00} {Percentile(m.Millis, 99),8:0.00} {m.ProcessesPerPod,10:0.0} {Percentile(m.Millis, 50) / floorMedian,8:0.00}");
    Row("(a) floor: nsenter --net=… iptables-restore", floor);
    Row("agent path: detect + apply + verify (setns thread)", agent);
    Row("agent path, entering with nsenter instead of setns", agentNsenter);
    Row("agent path again on a programmed pod (Unchanged)", again);
    Row("(b) original: one iptables process per command", perRule);
    Console.WriteLine();
    Console.WriteLine($"agent path / floor: {Percentile(agent.Millis, 50) / floorMedian:0.00}× (goal ≤ 2.5×); per-rule / agent path: {Percentile(perRule.Millis, 50) / Percentile(agent.Millis, 50):0.0}× (goal ≥ 5×)");
    Console.WriteLine($"setns thread vs nsenter: {Percentile(agentNsenter.Millis, 50) / Percentile(agent.Millis, 50):0.00}× (median of nsenter / setns)");
}
finally
{
    foreach (var name in created)
    {
        await runner.RunAsync(new ProcessRequest(["ip", "netns", "del", name]), CancellationToken.None);
    }
}

async Task<(List<double> Millis, double ProcessesPerPod)> MeasureAgainAsync(ProcessRunner through)
{
    var programmer = new CaptureProgrammer(through, new NetnsProcFiles(), tools, IptablesBackendChoice.Auto);
    var netns = created.Where(n => n.StartsWith($"{prefix}-agent-", StringComparison.Ordinal)).Skip(Warmup).ToList();
    var millis = new List<double>();
    foreach (var name in netns)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = await programmer.ApplyAsync("/var/run/netns/" + name, rules, CancellationToken.None);
        var verified = await programmer.VerifyAsync("/var/run/netns/" + name, rules, CancellationToken.None);
        millis.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        if (outcome is not ApplyOutcome.Unchanged || verified is not VerifyResult.Report { Clean: true })
        {
            throw new InvalidOperationException($"re-run in {name}: {outcome}, {verified}");
        }
    }

    return (millis, through.Spawned / (double)netns.Count);
}

// istio-iptables.sh (Istio 1.0, copied by the original project) first removes what an earlier run left.
static List<ImmutableArray<string>> OriginalCleanup(string iptables) =>
[
    [iptables, "-t", "nat", "-D", "PREROUTING", "-p", "tcp", "-j", "ISTIO_INBOUND"],
    [iptables, "-t", "mangle", "-D", "PREROUTING", "-p", "tcp", "-j", "ISTIO_INBOUND"],
    [iptables, "-t", "nat", "-D", "OUTPUT", "-p", "tcp", "-j", "ISTIO_OUTPUT"],
    .. new[] { ("nat", "ISTIO_OUTPUT"), ("nat", "ISTIO_INBOUND"), ("nat", "ISTIO_REDIRECT"), ("mangle", "ISTIO_INBOUND"), ("mangle", "ISTIO_DIVERT"), ("mangle", "ISTIO_TPROXY") }
        .SelectMany(c => new[] { ImmutableArray.Create(iptables, "-t", c.Item1, "-F", c.Item2), ImmutableArray.Create(iptables, "-t", c.Item1, "-X", c.Item2) }),
];

// Without ENABLE_INBOUND_IPV6 the script blocks inbound IPv6.
static List<ImmutableArray<string>> OriginalIPv6Block(string ip6tables) =>
[
    [ip6tables, "-F", "INPUT"],
    [ip6tables, "-A", "INPUT", "-m", "state", "--state", "ESTABLISHED", "-j", "ACCEPT"],
    [ip6tables, "-A", "INPUT", "-j", "REJECT"],
];

static double Percentile(List<double> values, int percentile)
{
    var sorted = values.Order().ToList();
    var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1;
    return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
}

// iptables -t TABLE -N CHAIN for each chain, then -t TABLE -A CHAIN … for each rule (argv split at spaces; our
// rule text has no spaces inside arguments except the comment, which the original project did not have).
static List<ImmutableArray<string>> PerRuleCommands(FamilyRules family, string iptables)
{
    var commands = new List<ImmutableArray<string>>();
    foreach (var table in family.Tables)
    {
        commands.AddRange(table.Chains.Select(chain => ImmutableArray.Create(iptables, "-t", table.Table, "-N", chain)));
        commands.AddRange(table.Rules.Select(rule => ImmutableArray.Create<string>(
            [iptables, "-t", table.Table, "-A", rule.Chain, .. rule.Matches.Split(' ', StringSplitOptions.RemoveEmptyEntries), "-j", .. rule.Target.Split(' ')])));
    }

    return commands;
}
