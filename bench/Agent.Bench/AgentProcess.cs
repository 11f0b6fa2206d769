using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace IstioPodNetwork.Agent.Bench;

/// <summary>A real `ipnc agent` process for one node, its output drained (kept for a failure report), its memory read from /proc.</summary>
internal sealed class AgentProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly Queue<string> lastLines = new();

    private AgentProcess(Process process) => this.process = process;

    public int Pid => process.Id;

    /// <summary>Starts the agent and returns once its watches are synced (/readyz answers 200).</summary>
    public static async Task<AgentProcess> StartAsync(string node, string kubeconfig, IEnumerable<string> extraArguments)
    {
        var healthPort = FreePort();
        var info = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "ipnc"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])[
            "agent", "--node-name", node, "--kubeconfig", kubeconfig, "--remoting-host", "127.0.0.1", "--remoting-port", "0",
            "--health-host", "127.0.0.1", "--health-port", healthPort.ToString(CultureInfo.InvariantCulture), "--command-port", "0", .. extraArguments])
        {
            info.ArgumentList.Add(argument);
        }

        var agent = new AgentProcess(new Process { StartInfo = info });
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

    /// <summary>VmRSS and VmHWM (peak) from /proc/PID/status, in MB.</summary>
    public (double Rss, double Peak) Memory()
    {
        var fields = File.ReadLines($"/proc/{Pid}/status")
            .Select(l => l.Split(':', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1].Trim(), StringComparer.Ordinal);
        return (Kilobytes(fields["VmRSS"]) / 1024, Kilobytes(fields["VmHWM"]) / 1024);
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
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync();
        process.Dispose();
    }

    private static double Kilobytes(string value) => double.Parse(value.Split(' ')[0], CultureInfo.InvariantCulture);

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        return ((System.Net.IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (lastLines)
        {
            lastLines.Enqueue(line);
            if (lastLines.Count > 40)
            {
                lastLines.Dequeue();
            }
        }
    }
}
