using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using IstioPodNetwork.Cluster.Bench;
using IstioPodNetwork.Host.Configuration;
using IstioPodNetwork.Kube.Watching;
using IstioPodNetwork.KubeSim;
using IstioPodNetwork.Testing;

// The agents' cluster, with the real `ipnc agent` processes each in its node netns on a test bridge and
// KubeSim as the API (the integration tests' harness): (a) formation time of 3 and of 10 agents started
// at once, with the shipped configuration and with the tests' shortened timings; (b) Kubernetes API
// requests of 10 agents at rest with the namespace watcher as a cluster singleton against the baseline
// of every agent watching namespaces (per-node), both measured side by side over the same window;
// (c) each agent's RSS at rest. Needs root.
if (!Root.IsRoot)
{
    Console.Error.WriteLine("Cluster.Bench needs root: every node is a network namespace on a test bridge. Run `make bench` as root.");
    return 2;
}

if (BenchSettings.Parse(args) is not { } settings)
{
    return 2;
}

using var stopping = new CancellationTokenSource();
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var logFile = settings.LogFile is null ? null : new StreamWriter(settings.LogFile) { AutoFlush = true };
Action<string>? log = logFile is null ? null : line =>
{
    lock (logFile)
    {
        logFile.WriteLine(line);
    }
};

var configuration = Assembly.GetEntryAssembly()?.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration;
Console.WriteLine($"Cluster.Bench: ipnc agents ({configuration} build) in node netns on a test bridge, KubeSim over HTTPS, {Environment.ProcessorCount} cores");
Console.WriteLine($"  {settings.Repetitions} formations per row; at-rest window {settings.Window.TotalSeconds:0} s" + (settings.LogFile is null ? string.Empty : $"; agent logs in {settings.LogFile}"));

// (a) Formation. One environment (bridge, KubeSim, nodes, DaemonSet) per row; the agents are killed between runs.
List<(string Timings, int Nodes, List<FormationRun> Runs)> rows = [];
List<TimeSpan> quietWaits = [];
if (settings.Parts.HasFlag(BenchParts.Formation))
{
    foreach (var (timings, fast) in new[] { ("shipped (HOCON.conf)", false), ("test harness timings", true) })
    {
        foreach (var nodes in new[] { 3, 10 })
        {
            List<FormationRun> runs = [];
            await using (var cluster = await AgentCluster.StartAsync(new AgentClusterOptions { Nodes = nodes, StartAgents = false, FastClusterTimings = fast }, log))
            {
                for (var run = 0; run < settings.Repetitions; run++)
                {
                    quietWaits.Add(await MachineQuiet.WaitAsync(stopping.Token));
                    runs.Add(await Formation.MeasureAsync(cluster));
                    if (run == 0)
                    {
                        await Formation.ConfirmWithClientAsync(cluster);
                    }

                    await cluster.StopAgentsAsync();
                }
            }

            Console.WriteLine($"  formed: {timings}, {nodes} agents: {string.Join(", ", runs.Select(r => Seconds(r.Formed)))} s");
            rows.Add((timings, nodes, runs));
        }
    }
}

// (b) and (c): both designs at once, so they share the same window and the same machine load.
AtRestRun[] atRest = [];
if (settings.Parts.HasFlag(BenchParts.AtRest))
{
    Console.WriteLine($"  at rest: 10 agents per design, both designs side by side, {settings.Window.TotalSeconds:0} s window ...");
    atRest = await Task.WhenAll(
        AtRest.MeasureAsync(NamespaceWatch.Singleton, settings.Window, log, stopping.Token),
        AtRest.MeasureAsync(NamespaceWatch.PerNode, settings.Window, log, stopping.Token));
}

if (rows.Count > 0)
{
    Console.WriteLine();
    Console.WriteLine("(a) Formation: N agents started at once until every agent sees all N members Up and reachable (its /metrics; `ipnc cluster show` agrees)");
    Console.WriteLine($"{"cluster timings",-22} {"N",3} {"median s",9} {"max s",7} | {"endpoints",9} {"self-join",9} {"last Up",8} | {"agents CPU s",12} {"bench CPU s",11}");
    foreach (var (timings, nodes, runs) in rows)
    {
        var selfJoined = runs.All(r => r.SelfJoined is not null) ? Seconds(Median(runs.Select(r => r.SelfJoined!.Value))) : "-";
        Console.WriteLine(
            $"{timings,-22} {nodes,3} {Seconds(Median(runs.Select(r => r.Formed))),9} {Seconds(runs.Max(r => r.Formed)),7} | "
            + $"{Seconds(Median(runs.Select(r => r.Started))),9} {selfJoined,9} {Seconds(Median(runs.Select(r => r.LastUp))),8} | "
            + $"{Seconds(Median(runs.Select(r => r.AgentCpu))),12} {Seconds(Median(runs.Select(r => r.BenchCpu))),11}");
    }

    var shipped10 = rows.Single(r => !r.Timings.StartsWith("test", StringComparison.Ordinal) && r.Nodes == 10).Runs;
    var goalMet = shipped10.Max(r => r.Formed) <= TimeSpan.FromSeconds(10);
    Console.WriteLine($"goal: 10 agents formed within 10 s on {Environment.ProcessorCount} cores with the shipped configuration: {(goalMet ? "met" : "MISSED")} (max {Seconds(shipped10.Max(r => r.Formed))} s)");
    Console.WriteLine($"each formation started once the cores had been ≥ 90 % idle for 1 s (the longest wait for it: {Seconds(quietWaits.Max())} s)");
    Console.WriteLine("left of | the figure; right of it, medians: s from start until every command endpoint listened, the lowest-addressed agent formed the cluster (bootstrap self-join),");
    Console.WriteLine("the last agent logged itself Up; CPU used meanwhile by all agents together and by this process (KubeSim, the probes)");
}

if (atRest.Length > 0)
{
    var (singleton, perNode) = (atRest[0], atRest[1]);
    // Each agent watch is re-opened once per server timeout: the agent asks for 5 min plus up to 25 % jitter.
    var meanWatch = new ResilientWatchOptions().WatchTimeout * 1.125;
    Console.WriteLine();
    Console.WriteLine($"(b) Kubernetes API requests of the whole cluster: 10 agents, 20 opted-in pods initialized, then {settings.Window.TotalSeconds:0} s with nothing changing");
    Console.WriteLine($"{"namespace-watch",-22} {"start→ready",12} {"of which ns",12} {"at rest /min",13} {"open watches",13} {"re-watch /min*",15}");
    foreach (var r in atRest)
    {
        Console.WriteLine(
            $"{Flag(r.Mode),-22} {r.ToReady.Total,12} {Namespaces(r.ToReady),12} {r.PerMinute,13:0.0} {r.OpenWatches,13} {r.OpenWatches / meanWatch.TotalMinutes,15:0.00}");
    }

    Console.WriteLine(
        $"{"singleton ÷ per-node",-22} {Ratio(singleton.ToReady.Total, perNode.ToReady.Total),12} {Ratio(Namespaces(singleton.ToReady), Namespaces(perNode.ToReady)),12} "
        + $"{Ratio(singleton.PerMinute, perNode.PerMinute),13} {Ratio(singleton.OpenWatches, perNode.OpenWatches),13} {Ratio(singleton.OpenWatches, perNode.OpenWatches),15}");
    foreach (var r in atRest)
    {
        Console.WriteLine($"  {Flag(r.Mode)}: start→ready {Kinds(r.ToReady)}");
        Console.WriteLine($"  {Flag(r.Mode)}: at rest {Kinds(r.Window)}" + (r.Quiet ? string.Empty : " (the API was never quiet for 3 s before the window)"));
    }

    Console.WriteLine("requests as KubeSim counts them: every API request (a watch once, when it opens; bookmarks and events on an open watch are not requests);");
    Console.WriteLine("start→ready: from starting the agents until all are ready (formed, pods synced, namespaces known), mostly bootstrap's discovery (list pods");
    Console.WriteLine("by label, about once a second per agent until it has joined); \"of which ns\": namespace lists and watches, what the singleton saves");
    Console.WriteLine($"* steady state, derived: each open watch is re-opened once per server timeout (mean {meanWatch.TotalMinutes:0.###} min); the window ends");
    Console.WriteLine("  before the first timeouts (the watches opened at start), so re-watches do not appear in the measured at-rest figure");

    Console.WriteLine();
    Console.WriteLine("(c) Agent memory at rest: VmRSS of each of the 10 agent processes at the end of the window, and the median of its anonymous and shared-memory");
    Console.WriteLine("pages (without the file pages of the assemblies, which agents on one machine share); the CPU the 10 agents used over the window");
    Console.WriteLine("and over its second half (the first still carries some of the start-up's work), in per cent of one core");
    Console.WriteLine($"{"namespace-watch",-22} {"min MiB",8} {"median MiB",11} {"max MiB",8} {"anon+shm MiB",13} | {"CPU: window",11} {"2nd half",9}");
    foreach (var r in atRest)
    {
        Console.WriteLine(
            $"{Flag(r.Mode),-22} {r.Memory.Min(m => m.ResidentKib) / 1024.0,8:0.0} {Median(r.Memory.Select(m => m.ResidentKib / 1024.0)),11:0.0} "
            + $"{r.Memory.Max(m => m.ResidentKib) / 1024.0,8:0.0} {Median(r.Memory.Select(m => m.PrivateKib / 1024.0)),13:0.0} | {r.CpuPercent,9:0.0} % {r.SecondHalfCpuPercent,7:0.0} %");
    }
}

return 0;

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stopping.Cancel();
}

static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);

static T Median<T>(IEnumerable<T> values)
{
    var sorted = values.Order().ToList();
    return sorted[sorted.Count / 2];
}

static string Ratio(double part, double whole) => whole == 0 ? "-" : (part / whole).ToString("0.00", CultureInfo.InvariantCulture);

static string Flag(NamespaceWatch mode) => mode == NamespaceWatch.Singleton ? "singleton" : "per-node (baseline)";

static long Namespaces(KubeSimRequests requests) => requests.Count("list", "namespaces") + requests.Count("watch", "namespaces");

static string Kinds(KubeSimRequests requests) => requests.Total == 0
    ? "none"
    : string.Join(", ", requests.ByKind.OrderByDescending(k => k.Value).Select(k => $"{k.Key} {k.Value}"));
