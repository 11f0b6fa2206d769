using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using IstioPodNetwork.KubeSim;

// Pod writes per second through KubeSim's HTTP API (merge patches of an annotation, what the agent does),
// with no watcher (the baseline), with 100 watchers each on its own node (what 100 agents do), and with
// 100 watchers of every pod (the worst fan-out). Every figure is also given as a ratio of the baseline.
const int Pods = 1000;
const int Nodes = 100;
const int Writers = 32;
const int Watchers = 100;
var duration = TimeSpan.FromSeconds(args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 5);

await using var sim = await KubeSimServer.StartAsync(new KubeSimOptions { WatchHistory = 200_000 });
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
{
    BaseAddress = sim.Url,
    Timeout = Timeout.InfiniteTimeSpan,
};

for (var i = 0; i < Pods; i++)
{
    var pod = $$$"""{"metadata":{"name":"pod-{{{i}}}","labels":{"app":"bench"}},"spec":{"nodeName":"node-{{{i % Nodes}}}","containers":[{"name":"app","image":"docker.io/istio/examples-bookinfo-reviews-v1:1.20.1","ports":[{"containerPort":9080}]}]}}""";
    using var body = new StringContent(pod, Encoding.UTF8, "application/json");
    (await http.PostAsync(new Uri("/api/v1/namespaces/default/pods", UriKind.Relative), body)).EnsureSuccessStatusCode();
}

await RunAsync("warm-up (not reported)", _ => null);
Console.WriteLine($"KubeSim write and watch fan-out benchmark: {Pods} pods on {Nodes} nodes, {Writers} concurrent writers, {duration.TotalSeconds:0.#} s per scenario, {Environment.ProcessorCount} cores");
var baseline = await RunAsync("no watchers (baseline)", _ => null);
var perNode = await RunAsync($"{Watchers} watchers, one node each", i => $"spec.nodeName=node-{i}");
var everything = await RunAsync($"{Watchers} watchers of all pods", _ => string.Empty);

Console.WriteLine();
Console.WriteLine($"{"scenario",-34} {"writes/s",10} {"vs baseline",12} {"events/s",12} {"delivered",10} {"drain ms",9}");
foreach (var r in new[] { baseline, perNode, everything })
{
    Console.WriteLine($"{r.Name,-34} {r.WritesPerSecond,10:N0} {r.WritesPerSecond / baseline.WritesPerSecond,11:0.00}x {r.EventsPerSecond,12:N0} {(r.Complete ? "all" : "MISSING"),10} {r.DrainMs,9:N0}");
}

return perNode.Complete && everything.Complete ? 0 : 1;

async Task<Result> RunAsync(string name, Func<int, string?> selector)
{
    var version = await CurrentVersionAsync();
    using var stop = new CancellationTokenSource();
    var counters = new long[Watchers];
    var watches = new List<Task>();
    var expectedPerWrite = 0;
    for (var i = 0; i < Watchers; i++)
    {
        if (selector(i) is not { } fieldSelector)
        {
            continue;
        }

        expectedPerWrite += fieldSelector.Length == 0 ? Nodes : 1;
        var index = i;
        var url = $"/api/v1/namespaces/default/pods?watch=true&resourceVersion={version}" + (fieldSelector.Length == 0 ? string.Empty : "&fieldSelector=" + Uri.EscapeDataString(fieldSelector));
        watches.Add(WatchAsync(url, counters, index, stop.Token));
    }

    // Each watcher delivers 1/Nodes of the writes (per node) or all of them (all pods).
    var perWrite = expectedPerWrite / (double)Nodes;
    await Task.Delay(500);

    var writes = 0L;
    var clock = Stopwatch.StartNew();
    var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
    {
        var n = 0;
        while (clock.Elapsed < duration)
        {
            var pod = (w + (n * Writers)) % Pods;
            var patch = $$$$"""{"metadata":{"annotations":{"bench/seq":"{{{{w}}}}-{{{{n}}}}"}}}""";
            using var body = new StringContent(patch, Encoding.UTF8, "application/merge-patch+json");
            using var response = await http.PatchAsync(new Uri($"/api/v1/namespaces/default/pods/pod-{pod}", UriKind.Relative), body);
            response.EnsureSuccessStatusCode();
            Interlocked.Increment(ref writes);
            n++;
        }
    })).ToList();
    await Task.WhenAll(writers);
    var elapsed = clock.Elapsed;
    var delivered = Interlocked.Read(ref counters[0]) + counters.Skip(1).Sum();

    var expected = (long)Math.Round(writes * perWrite);
    var drain = Stopwatch.StartNew();
    while (counters.Sum() < expected && drain.Elapsed < TimeSpan.FromSeconds(60))
    {
        await Task.Delay(10);
    }

    var drained = drain.Elapsed;
    var total = counters.Sum();
    await stop.CancelAsync();
    await Task.WhenAll(watches);
    var result = new Result(name, writes / elapsed.TotalSeconds, total / (elapsed + drained).TotalSeconds, total >= expected, expected == 0 ? 0 : drained.TotalMilliseconds);
    Console.WriteLine($"  {name}: {writes:N0} writes in {elapsed.TotalSeconds:0.00} s; {total:N0} of {expected:N0} events delivered ({delivered:N0} during the writes)");
    return result;
}

async Task WatchAsync(string url, long[] counters, int index, CancellationToken stop)
{
    try
    {
        using var response = await http.GetAsync(new Uri(url, UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, stop);
        await using var stream = await response.Content.ReadAsStreamAsync(stop);
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await stream.ReadAsync(buffer, stop)) > 0)
        {
            Interlocked.Add(ref counters[index], buffer.AsSpan(0, read).Count((byte)'\n'));
        }
    }
    catch (OperationCanceledException) when (stop.IsCancellationRequested)
    {
    }
}

async Task<string> CurrentVersionAsync()
{
    var list = await http.GetStringAsync(new Uri("/api/v1/namespaces/default/pods?labelSelector=none%3Dnone", UriKind.Relative));
    var marker = "\"resourceVersion\":\"";
    var start = list.IndexOf(marker, StringComparison.Ordinal) + marker.Length;
    return list[start..list.IndexOf('"', start)];
}

internal sealed record Result(string Name, double WritesPerSecond, double EventsPerSecond, bool Complete, double DrainMs);
