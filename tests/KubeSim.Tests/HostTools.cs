using IstioPodNetwork.Testing;

namespace IstioPodNetwork.KubeSim.Tests;

/// <summary>Looks at this machine the way the agent will: `ip`, /proc and /sys/fs/cgroup.</summary>
internal static class HostTools
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    public static async Task<string> RunAsync(string file, params string[] args)
    {
        await using var process = ChildProcess.Start(file, args);
        if (!await process.WaitForExitAsync(Bound))
        {
            throw new TimeoutException($"{file} {string.Join(' ', args)} still running after {Bound.TotalSeconds} s");
        }

        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} exited {process.ExitCode}: {process.Tail()}");
        return process.StandardOutput;
    }

    public static async Task<IReadOnlyList<string>> NetnsNamesAsync(string prefix) =>
        [.. (await RunAsync("ip", "netns", "list")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ')[0])
            .Where(n => n.StartsWith(prefix + "-", StringComparison.Ordinal))];

    public static bool ProcessAlive(int pid) => File.Exists($"/proc/{pid}/cmdline") && File.ReadAllText($"/proc/{pid}/cmdline").Length > 0;

    /// <summary>The inode of a network namespace: equal for /proc/PID/ns/net and /run/netns/NAME when the process is in it.</summary>
    public static async Task<string> NetnsInodeAsync(string path) => (await RunAsync("stat", "-L", "-c", "%i", path)).Trim();

    public static IEnumerable<string> CgroupDirectoriesContaining(string text) =>
        new[] { "pids", "systemd", "unified" }
            .Select(h => Path.Combine("/sys/fs/cgroup", h))
            .Where(Directory.Exists)
            .SelectMany(root => Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories))
            .Where(d => d.Contains(text, StringComparison.Ordinal));
}
