using System.Globalization;
using IstioPodNetwork.Testing;

namespace IstioPodNetwork.Cluster.Bench;

/// <summary>What the benchmark reads from a running agent without starting a process: its /metrics and /readyz over the bridge, its log lines, its /proc entry.</summary>
internal static class AgentProbes
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };

    /// <summary>
    /// Whether the agent sees exactly <paramref name="members"/> members Up and none unreachable, read from
    /// ipnc_cluster_members on /metrics: fed by the same cluster events as `ipnc cluster show`, but an HTTP
    /// GET instead of a .NET process start per look, which on 2 cores would slow the formation it measures.
    /// </summary>
    public static async Task<bool> SeesUpAsync(NodeAgent agent, int members)
    {
        var metrics = await Http.GetStringAsync(new Uri(agent.Health, "metrics"));
        return Members(metrics, "up") == members && Members(metrics, "unreachable") == 0;
    }

    public static async Task<bool> ReadyAsync(NodeAgent agent)
    {
        using var response = await Http.GetAsync(new Uri(agent.Health, "readyz"));
        return response.IsSuccessStatusCode;
    }

    /// <summary>When the agent logged the first line containing <paramref name="text"/>, as an offset from <paramref name="start"/> (the log's own timestamps, local time to the millisecond); null if it did not.</summary>
    public static TimeSpan? Logged(NodeAgent agent, string text, DateTime start)
    {
        var line = agent.Process.Lines.FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));
        if (line is null)
        {
            return null;
        }

        // Text logs start "[HH:mm:ss.fff LVL]".
        var at = TimeOnly.ParseExact(line[1..13], "HH:mm:ss.fff", CultureInfo.InvariantCulture);
        var offset = at - TimeOnly.FromDateTime(start);
        return offset > TimeSpan.FromHours(12) ? offset - TimeSpan.FromDays(1) : offset;
    }

    /// <summary>The agent process's resident memory: all of it (VmRSS), and its anonymous and shared-memory part (RssAnon + RssShmem, no file pages).</summary>
    public static AgentMemory Memory(NodeAgent agent)
    {
        var pid = agent.Process.Id;
        // `ip netns exec` execs the agent in place, so this pid is the agent's; make sure it still is.
        var name = File.ReadAllText($"/proc/{pid}/comm").Trim();
        if (name != "ipnc")
        {
            throw new InvalidOperationException($"process {pid} of {agent.Node} is \"{name}\", not the ipnc agent");
        }

        var status = File.ReadLines($"/proc/{pid}/status").ToList();
        long Kib(string field) =>
            long.Parse(status.First(l => l.StartsWith(field + ":", StringComparison.Ordinal))[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        return new AgentMemory(Kib("VmRSS"), Kib("RssAnon") + Kib("RssShmem"));
    }

    /// <summary>CPU time (user and system) the agent processes have used so far, all together.</summary>
    public static TimeSpan CpuTime(IEnumerable<NodeAgent> agents) => agents.Aggregate(TimeSpan.Zero, (sum, agent) => sum + CpuTime(agent));

    /// <summary>CPU time (user and system) the agent process has used so far.</summary>
    public static TimeSpan CpuTime(NodeAgent agent)
    {
        // /proc/PID/stat: after the parenthesised name come state (field 3) … utime (14) and stime (15), in clock ticks of 1/100 s.
        var stat = File.ReadAllText($"/proc/{agent.Process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    private static double Members(string metrics, string status)
    {
        var prefix = $"ipnc_cluster_members{{status=\"{status}\"}} ";
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[prefix.Length..], CultureInfo.InvariantCulture);
    }
}

/// <summary>Resident memory of one agent, in KiB.</summary>
internal sealed record AgentMemory(long ResidentKib, long PrivateKib);
