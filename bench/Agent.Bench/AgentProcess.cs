using System.Diagnostics;
using System.Globalization;
using IstioPodNetwork.Testing;

namespace IstioPodNetwork.Agent.Bench;

/// <summary>A real `ipnc agent` process for one node, its output drained (kept for a failure report), its memory read from /proc.</summary>
internal sealed class AgentProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly Queue<string> lastLines = new();
    private readonly StreamWriter? log = Environment.GetEnvironmentVariable("AGENT_BENCH_LOG") is { Length: > 0 } path ? new StreamWriter(path) : null;

    private readonly int healthPort;

    private AgentProcess(Process process, int healthPort)
    {
        this.process = process;
        this.healthPort = healthPort;
    }

    public int Pid => process.Id;

    /// <summary>
    /// Starts the agent as the DaemonSet runs it and returns once its watches are synced (/readyz answers 200): in-cluster
    /// configuration (the API at <paramref name="api"/>, the service account's files shown by <paramref name="serviceAccount"/>),
    /// the image's environment. A kubeconfig would load a YAML parser no deployed agent loads, and plain HTTP would
    /// leave out the TLS every deployed agent speaks: both count in its memory.
    /// </summary>
    public static async Task<AgentProcess> StartAsync(string node, Uri api, ServiceAccountMount serviceAccount, IEnumerable<string> extraArguments)
    {
        var healthPort = FreePort.Next();
        // nsenter execs the agent in place: the process id is the agent's own.
        var argv = serviceAccount.Enter(
        [
            Binaries.Ipnc, "agent", "--node-name", node, "--remoting-host", "127.0.0.1", "--remoting-port", "0",
            "--health-host", "127.0.0.1", "--health-port", healthPort.ToString(CultureInfo.InvariantCulture), "--command-port", "0", .. extraArguments,
        ]);
        var info = new ProcessStartInfo(argv[0], argv[1..])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        ChildProcess.SetEnvironment(info, ServiceAccountMount.PodEnvironment(api));
        var agent = new AgentProcess(new Process { StartInfo = info }, healthPort);
        agent.process.OutputDataReceived += (_, e) => agent.Keep(e.Data);
        agent.process.ErrorDataReceived += (_, e) => agent.Keep(e.Data);
        agent.process.Start();
        agent.process.BeginOutputReadLine();
        agent.process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{healthPort}/readyz"));
                    if (response.IsSuccessStatusCode)
                    {
                        return agent;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                if (agent.process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(60))
                {
                    throw new InvalidOperationException($"the agent did not become ready:\n{agent.Tail()}");
                }

                await Task.Delay(50);
            }
        }
        catch
        {
            await agent.DisposeAsync();
            throw;
        }
    }

    /// <summary>/proc/PID/status in MB: VmRSS, its anonymous, file-backed and shared parts, and VmHWM (the peak).</summary>
    public Memory Memory()
    {
        var fields = File.ReadLines($"/proc/{Pid}/status")
            .Select(l => l.Split(':', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => Kilobytes(p[1].Trim()) / 1024, StringComparer.Ordinal);
        return new Memory(fields["VmRSS"], fields["RssAnon"], fields["RssFile"], fields["RssShmem"], fields["VmHWM"]);
    }

    /// <summary>
    /// The agent's memory at rest after the work just done: once it has handed memory back (ipnc_memory_returns_total on
    /// /metrics goes up). It does so at its first quiet interval, never in the busy one where the work ended, so the count
    /// read on the call is from before.
    /// </summary>
    public async Task<Memory> MemoryAtRestAsync()
    {
        var returnsBefore = await MemoryReturnsAsync();
        var deadline = Stopwatch.StartNew();
        while (await MemoryReturnsAsync() <= returnsBefore)
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException("the agent handed no memory back within 30 s of the work");
            }

            // Each look at /metrics is work for the agent too; once a second keeps it quiet.
            await Task.Delay(1000);
        }

        return Memory();
    }

    private async Task<double> MemoryReturnsAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{healthPort}/metrics"));
        const string Name = "ipnc_memory_returns_total ";
        var line = metrics.Split('\n').SingleOrDefault(l => l.StartsWith(Name, StringComparison.Ordinal))
            ?? throw new InvalidOperationException("the agent's /metrics has no ipnc_memory_returns_total");
        return double.Parse(line[Name.Length..], CultureInfo.InvariantCulture);
    }

    /// <summary>User plus system CPU time the agent has used, from /proc/PID/stat.</summary>
    public TimeSpan CpuTime()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    public string Tail()
    {
        lock (lastLines)
        {
            return string.Join('\n', lastLines);
        }
    }

    public async ValueTask DisposeAsync()
    {
        var leftovers = process.HasExited ? null : RuntimeLeftovers.Of(process.Id);
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync();
        leftovers?.Remove();
        process.Dispose();
        if (log is not null)
        {
            await log.DisposeAsync();
        }
    }

    private static double Kilobytes(string value) =>
        double.TryParse(value.Split(' ')[0], NumberStyles.Number, CultureInfo.InvariantCulture, out var kilobytes) ? kilobytes : 0;

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (lastLines)
        {
            log?.WriteLine(line);
            lastLines.Enqueue(line);
            if (lastLines.Count > 40)
            {
                lastLines.Dequeue();
            }
        }
    }
}

/// <summary>An agent's memory in MB: resident (VmRSS = anonymous + file-backed + shared) and its peak (VmHWM).</summary>
internal sealed record Memory(double Rss, double Anonymous, double File, double Shared, double Peak);
