using System.Collections.Immutable;
using System.Diagnostics;
using System.Security.Cryptography;
using IstioPodNetwork.Actors.Pods;
using IstioPodNetwork.Agent.Bench;
using IstioPodNetwork.Capture.Processes;
using IstioPodNetwork.Capture.Programming;
using IstioPodNetwork.Capture.Rules;
using IstioPodNetwork.Capture.Spec;
using IstioPodNetwork.Kube;
using IstioPodNetwork.KubeSim;
using IstioPodNetwork.Testing;
using k8s;
using k8s.Models;

// The node agent as deployed: a real `ipnc agent` process (this build) against an in-process KubeSim with one node
// whose pods get real sandboxes. (a) one pod at a time: creation call to the initialized annotation seen by a watch;
// (b) bursts of 110 pods (Kubernetes' per-node default maximum), each against the floor of applying the same 110 rule
// sets with bare nsenter + iptables-restore one after another, measured right after it; (c) the agent's memory at rest.
// Arguments are passed on to `ipnc agent` (e.g. --max-concurrent-programming 4), to compare settings. Needs root.
const string Node = "node-a";
const int Sequential = 200;
const int Warmup = 10;
const int Burst = 110;
const int BurstRounds = 3;
var patience = TimeSpan.FromSeconds(120);

if (!Environment.IsPrivilegedProcess)
{
    Console.Error.WriteLine("agent-bench: run as root (real network namespaces and iptables)");
    return 2;
}

var loadAtStart = LoadAverage();
var prefix = "ab" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2));
var runner = new ProcessRunner();
// Disposed last, after the agent and its mount namespace: kubectl's cache and the service account's files.
using var scratch = new ScratchDirectory(Directory.CreateTempSubdirectory("agent-bench-"));
var floorNetns = new List<string>();
await using var sim = await KubeSimServer.StartAsync(new KubeSimOptions { Nodes = [Node], Sandbox = SandboxKind.Netns, NamePrefix = prefix, WatchHistory = 100_000, Tls = true });
using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(sim.KubeconfigPath));
using var api = KubeClients.Create(sim.KubeconfigPath);
await using var pods = await PodTracker.StartAsync(api, Node);
// The agent runs as the manifests' ServiceAccount, allowed only what their RBAC grants, in-cluster configured.
await ShippedManifests.ApplyAsync(sim.KubeconfigPath, scratch.Directory.FullName, log: null);
var secrets = scratch.Directory.CreateSubdirectory("serviceaccount").FullName;
await sim.WriteServiceAccountFilesAsync(ShippedManifests.AgentNamespace, ShippedManifests.ServiceAccount, secrets);
await using var serviceAccount = await ServiceAccountMount.StartAsync(secrets, log: null);
await using var agent = await AgentProcess.StartAsync(Node, sim.Url, serviceAccount, args);
try
{
    // Memory at rest: once the agent, quiet after its start-up (JIT, cluster join, first list), has handed memory back.
    var idle = await agent.MemoryAtRestAsync();

    // (a) One pod at a time into an opted-in namespace.
    await CreateNamespaceAsync("seq", optedIn: true);
    var total = new List<double>();
    var toRunning = new List<double>();
    var agentPart = new List<double>();
    for (var i = 0; i < Warmup + Sequential; i++)
    {
        var name = $"seq-{i:000}";

        // This process is KubeSim and the stopwatch: its garbage is collected between pods, not during one. Left to
        // itself, its collections paused it for 10-22 ms while the agent kept both cores busy, inside 3 of the 8
        // slowest pods of a run, all in KubeSim's share. A collection here, with the cores quiet, takes ~1 ms.
        GC.Collect(1, GCCollectionMode.Forced, blocking: true);
        var created = Stopwatch.GetTimestamp();
        await CreatePodAsync("seq", name);
        await pods.WaitAsync(() => pods.InitializedAt("seq", name) is not null, TimeSpan.FromSeconds(30), $"seq/{name} initialized");
        if (i >= Warmup)
        {
            var running = pods.RunningAt("seq", name)!.Value;
            var initialized = pods.InitializedAt("seq", name)!.Value;
            total.Add(Millis(created, initialized));
            toRunning.Add(Millis(created, running));
            agentPart.Add(Millis(running, initialized));
        }
    }

    await DeleteAllAsync("seq");

    // (b) In rounds, so one noisy moment on the machine moves one round, not the verdict: the median round decides.
    var rounds = new List<BurstRound>();
    Memory? afterBurst = null;
    for (var round = 1; round <= BurstRounds; round++)
    {
        var ns = $"burst{round}";
        rounds.Add(await BurstRoundAsync(ns, round));
        afterBurst ??= await agent.MemoryAtRestAsync();
        if (round < BurstRounds)
        {
            await DeleteAllAsync(ns);
        }
    }

    // End to end, for the record: 110 pods created at once into an opted-in namespace, sandboxes and all.
    await CreateNamespaceAsync("e2e", optedIn: true);
    var names2 = Enumerable.Range(0, Burst).Select(i => $"e2e-{i:000}").ToList();
    var endToEndStarted = Stopwatch.GetTimestamp();
    await Task.WhenAll(names2.Select(name => CreatePodAsync("e2e", name)));
    await pods.WaitAsync(() => names2.All(n => pods.InitializedAt("e2e", n) is not null), patience, "110 more pods initialized");
    var lastRunning = Millis(endToEndStarted, names2.Max(n => pods.RunningAt("e2e", n)!.Value)) / 1000;
    var endToEnd = Millis(endToEndStarted, names2.Max(n => pods.InitializedAt("e2e", n)!.Value)) / 1000;
    var afterBoth = await agent.MemoryAtRestAsync();

    Console.WriteLine($"Agent.Bench: a real ipnc agent{(args.Length == 0 ? string.Empty : " " + string.Join(' ', args))} for one node of an in-process KubeSim with real sandboxes; {Environment.ProcessorCount} cores");
    Console.WriteLine("the agent runs as the DaemonSet runs it: in-cluster configuration over HTTPS, as the manifests' ServiceAccount, with the image's environment");
    Console.WriteLine($"load average (1, 5, 15 min) at the start: {loadAtStart}, at the end: {LoadAverage()}; other work on the machine shows in the figures");
    Console.WriteLine();
    Console.WriteLine($"(a) one pod at a time, {Sequential} pods after {Warmup} warm-up: from the create call to the pod seen by a watch");
    Console.WriteLine($"    {"",-44} {"median ms",10} {"p99 ms",8}");
    Console.WriteLine($"    {"created → initialized",-44} {Percentile(total, 50),10:0.0} {Percentile(total, 99),8:0.0}   goal p99 ≤ 50 ms: {Verdict(Percentile(total, 99) <= 50)}");
    Console.WriteLine($"    {"  created → Running (KubeSim: bind, sandbox)",-44} {Percentile(toRunning, 50),10:0.0} {Percentile(toRunning, 99),8:0.0}");
    Console.WriteLine($"    {"  Running → initialized (the agent)",-44} {Percentile(agentPart, 50),10:0.0} {Percentile(agentPart, 99),8:0.0}   the agent's share, p99 ≤ 50 ms: {Verdict(Percentile(agentPart, 99) <= 50)}");
    Console.WriteLine("    (the agent starts when the pod has its sandbox and IP; KubeSim's sandbox making is the stand-in's cost, a real kubelet's is larger)");
    Console.WriteLine();
    Console.WriteLine($"(b) a burst of {Burst} pods on one node, {BurstRounds} rounds; KubeSim made their sandboxes first (not counted)");
    Console.WriteLine($"    {"",-60} {"floor s",8} {"agent s",8} {"× floor",8} {"agent CPU s",12} {"sandboxes s",12}");
    foreach (var (round, i) in rounds.Select((r, i) => (r, i + 1)))
    {
        Console.WriteLine($"    {$"round {i}: namespace annotated → all {Burst} initialized (watch)",-60} {round.FloorSeconds,8:0.00} {round.AgentSeconds,8:0.00} {round.Ratio,8:0.00} {round.AgentCpuSeconds,12:0.00} {round.SandboxSeconds,12:0.00}");
    }

    var medianRatio = Percentile([.. rounds.Select(r => r.Ratio)], 50);
    Console.WriteLine($"    median agent / floor (floor: {Burst} × nsenter --net=… iptables-restore, one after another): {medianRatio:0.00}×   goal ≤ 1.5×: {Verdict(medianRatio <= 1.5)}");
    Console.WriteLine($"    end to end, for the record: {Burst} created at once into an opted-in namespace → all initialized in {endToEnd:0.00} s, of which {lastRunning:0.00} s until KubeSim ran the last sandbox");
    Console.WriteLine();
    Console.WriteLine("(c) agent memory at rest (once the agent, quiet after the work, has handed memory back: ipnc_memory_returns_total), /proc/PID/status");
    Console.WriteLine("    (VmRSS = anonymous + file-backed + shared; VmHWM: the peak so far, during the work)");
    Console.WriteLine($"    {"",-44} {"VmRSS MiB",9} {"anon",6} {"file",6} {"shared",7} {"VmHWM MiB",9}");
    void MemoryRow(string name, Memory m, string note = "") =>
        Console.WriteLine($"    {name,-44} {m.Rss,9:0} {m.Anonymous,6:0} {m.File,6:0} {m.Shared,7:0} {m.Peak,9:0}{note}");
    MemoryRow("idle (ready, no pods)", idle);
    MemoryRow($"after the first burst ({Burst} pods on the node)", afterBurst!);
    var largest = new[] { idle, afterBurst!, afterBoth }.Max(m => m.Rss);
    MemoryRow($"after the end-to-end burst ({2 * Burst} pods)", afterBoth, $"   goal idle and after the bursts ≤ 120 MB: {Verdict(largest <= 120)}");
    Console.WriteLine($"    (the goal read as 120 MiB; the largest, {largest:0.0} MiB, is {largest * 1.048576:0.0} million bytes)");
    return 0;
}
catch (Exception e) when (e is TimeoutException or InvalidOperationException)
{
    Console.Error.WriteLine($"agent-bench: {e.Message}\nlast agent lines:\n{agent.Tail()}");
    return 1;
}
finally
{
    foreach (var name in floorNetns)
    {
        await runner.RunAsync(new ProcessRequest(["ip", "netns", "del", name]), CancellationToken.None);
    }
}

// KubeSim makes the 110 sandboxes first, in a namespace that has not opted in, so its sandbox work (not the agent's)
// is over before the clock starts; then one annotation opts all 110 in at once. The floor applies the same 110 rule
// sets (built from the pods as the agent builds them), each with one bare nsenter + iptables-restore into a fresh
// netns, one after another; the netns are made before its clock starts.
async Task<BurstRound> BurstRoundAsync(string ns, int round)
{
    await CreateNamespaceAsync(ns, optedIn: false);
    var names = Enumerable.Range(0, Burst).Select(i => $"{ns}-{i:000}").ToList();
    var sandboxesStarted = Stopwatch.GetTimestamp();
    await Task.WhenAll(names.Select(name => CreatePodAsync(ns, name)));
    await pods.WaitAsync(() => names.All(n => pods.RunningAt(ns, n) is not null && sim.FindSandbox(ns, n)?.NetnsName is not null), patience, $"{Burst} sandboxes of {ns} running");
    var sandboxSeconds = Stopwatch.GetElapsedTime(sandboxesStarted).TotalSeconds;
    await Task.Delay(TimeSpan.FromSeconds(1));

    var cpuBefore = agent.CpuTime();
    var burstStarted = Stopwatch.GetTimestamp();
    await client.CoreV1.PatchNamespaceAsync(OptInPatch(), ns);
    await pods.WaitAsync(() => names.All(n => pods.InitializedAt(ns, n) is not null), patience, $"{Burst} pods of {ns} initialized");
    var agentSeconds = Stopwatch.GetElapsedTime(burstStarted).TotalSeconds;
    var agentCpu = (agent.CpuTime() - cpuBefore).TotalSeconds;

    var texts = (await client.CoreV1.ListNamespacedPodAsync(ns)).Items.Select(RestoreText).ToList();
    var restore = IptablesTools.FromPath().Restore(IptablesBackend.Nft, IpFamily.IPv4);
    var netns = Enumerable.Range(0, texts.Count).Select(i => $"{prefix}-floor{round}-{i}").ToList();
    foreach (var name in netns)
    {
        await MustAsync(["ip", "netns", "add", name]);
        floorNetns.Add(name);
    }

    var floorStarted = Stopwatch.GetTimestamp();
    for (var i = 0; i < texts.Count; i++)
    {
        await MustAsync(["nsenter", $"--net=/var/run/netns/{netns[i]}", restore, "--noflush"], texts[i]);
    }

    return new BurstRound(sandboxSeconds, agentSeconds, agentCpu, Stopwatch.GetElapsedTime(floorStarted).TotalSeconds);
}

Task CreateNamespaceAsync(string name, bool optedIn) =>
    client.CoreV1.CreateNamespaceAsync(new V1Namespace
    {
        Metadata = new V1ObjectMeta { Name = name, Annotations = optedIn ? new Dictionary<string, string> { [PodMarkers.InitializeAnnotation] = "true" } : null },
    });

Task CreatePodAsync(string ns, string name) =>
    client.CoreV1.CreateNamespacedPodAsync(
        new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
            Spec = new V1PodSpec
            {
                Containers =
                [
                    new V1Container { Name = "app", Image = "registry.example/app:1", Ports = [new V1ContainerPort { ContainerPort = 8080 }] },
                    new V1Container { Name = "istio-proxy", Image = "registry.example/proxyv2:1" },
                ],
            },
        },
        ns);

async Task DeleteAllAsync(string ns)
{
    foreach (var pod in (await client.CoreV1.ListNamespacedPodAsync(ns)).Items)
    {
        await client.CoreV1.DeleteNamespacedPodAsync(pod.Name(), ns);
    }

    await pods.WaitAsync(() => pods.Present(ns) == 0 && sim.Sandboxes.All(s => s.Namespace != ns), patience, $"pods of {ns} gone");
}

async Task MustAsync(ImmutableArray<string> argv, string? input = null)
{
    var result = await runner.RunAsync(new ProcessRequest(argv, input), CancellationToken.None);
    if (!result.Succeeded)
    {
        throw new InvalidOperationException($"{string.Join(' ', argv)}: {result.Describe()}");
    }
}

static V1Patch OptInPatch() =>
    new($"{{\"metadata\":{{\"annotations\":{{\"{PodMarkers.InitializeAnnotation}\":\"true\"}}}}}}", V1Patch.PatchType.MergePatch);

static string RestoreText(V1Pod pod) =>
    CaptureSpecParser.Parse(PodCaptureInputs.From(IstioPodNetwork.Kube.Models.Pod.From(pod)), CaptureDefaults.Istio) is CaptureParseResult.Accepted accepted
        ? RuleSetBuilder.Build(accepted.Spec).For(IpFamily.IPv4)!.ToRestoreText()
        : throw new InvalidOperationException($"{pod.Name()}: the agent would reject its annotations");

static double Millis(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

static string Verdict(bool met) => met ? "met" : "MISSED";

static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

static double Percentile(List<double> values, int percentile)
{
    var sorted = values.Order().ToList();
    var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1;
    return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
}

internal sealed record BurstRound(double SandboxSeconds, double AgentSeconds, double AgentCpuSeconds, double FloorSeconds)
{
    public double Ratio => AgentSeconds / FloorSeconds;
}

internal sealed record ScratchDirectory(DirectoryInfo Directory) : IDisposable
{
    public void Dispose() => Directory.Delete(recursive: true);
}
