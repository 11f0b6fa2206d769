using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace IstioPodNetwork.Capture.Netns;

/// <summary>
/// Finds a pod's netns by scanning a proc root, whatever the container runtime (Istio's
/// PodNetnsProcFinder approach): a process belongs to the pod when a path in its /proc/PID/cgroup
/// carries the pod UID (cgroupfs <c>/kubepods/burstable/pod&lt;uid&gt;/…</c> or systemd
/// <c>kubepods-burstable-pod&lt;uid_with_underscores&gt;.slice</c>); processes in the host netns are skipped
/// (CRI-O's conmon lives there and is older than the pod, istio#55139); a netns counts only if one of its
/// interfaces holds a pod IP, read from /proc/PID/net (fib_trie, if_inet6) without entering it; the oldest
/// process wins. The proc root is a setting (/host/proc in the DaemonSet).
/// </summary>
public sealed partial class ProcNetnsFinder(string procRoot, TimeProvider? time = null) : INetnsFinder
{
    /// <summary>
    /// How long a process's pod UIDs, once read, are trusted for the same PID in the same netns. A pod's
    /// processes keep their cgroup, so a scan reads the cgroup files of new processes only (bench/Agent.Bench,
    /// pods created one after another up to 200 on the node: a lookup took 2 ms median instead of 5.5, p99 14
    /// instead of 24); the bound keeps a PID that was reused, in a netns whose inode was reused, from being
    /// trusted for long.
    /// </summary>
    internal static readonly TimeSpan KnownPodProcessTrust = TimeSpan.FromSeconds(10);

    private readonly TimeProvider clock = time ?? TimeProvider.System;
    private readonly Lock gate = new();
    private Task<ProcScan>? running;
    private Task<ProcScan>? queued;

    /// <summary>The pod processes of the last scan. Scans run one at a time (<see cref="NextScan"/>), so only the running one touches it.</summary>
    private Dictionary<int, KnownPodProcess> known = [];

    public async Task<NetnsLookup> FindAsync(string podUid, ImmutableArray<IPAddress> podIps, CancellationToken cancellationToken)
    {
        if (podIps.IsDefaultOrEmpty)
        {
            return new NetnsLookup.NotYet($"pod {podUid} has no IP yet");
        }

        var scan = await NextScan().WaitAsync(cancellationToken);
        return scan.Failure is { } failure ? new NetnsLookup.Failed(failure) : Find(scan, podUid, podIps);
    }

    /// <summary>
    /// A scan of the proc root that starts after this call, so no lookup reads a /proc older than its request.
    /// Lookups that arrive while a scan runs share the one queued after it: a burst of pods costs a few scans,
    /// not one each (each reads every process, so one per pod would grow with the square of the burst).
    /// </summary>
    private Task<ProcScan> NextScan()
    {
        lock (gate)
        {
            if (queued is not null)
            {
                return queued;
            }

            if (running is null || running.IsCompleted)
            {
                running = Task.Run(Scan);
                return running;
            }

            queued = running.ContinueWith(
                _ =>
                {
                    lock (gate)
                    {
                        (running, queued) = (queued, null);
                    }

                    return Scan();
                },
                CancellationToken.None,
                TaskContinuationOptions.None,
                TaskScheduler.Default);
            return queued;
        }
    }

    /// <summary>Every process outside the host netns that a pod's cgroup path names, indexed by pod UID.</summary>
    private ProcScan Scan()
    {
        // The host netns is PID 1's. Where PID 1's links cannot be read (a sandbox that hides its init),
        // the agent's own netns stands in for it: the agent runs with hostNetwork.
        var hostNetns = ReadLink(Path.Combine(procRoot, "1", "ns", "net")) ?? ReadLink("/proc/self/ns/net");
        if (hostNetns is null)
        {
            return ProcScan.Failed($"cannot read the host network namespace {Path.Combine(procRoot, "1", "ns", "net")}");
        }

        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateDirectories(procRoot).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ProcScan.Failed($"cannot list {procRoot}: {e.Message}");
        }

        var byPod = new Dictionary<string, List<(int Pid, string Netns)>>(StringComparer.Ordinal);
        var podProcesses = new Dictionary<int, KnownPodProcess>();
        var now = clock.GetTimestamp();
        var buffer = new byte[16 * 1024];
        var scanned = 0;
        foreach (var directory in entries)
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            scanned++;
            var netns = ReadLink(Path.Combine(directory, "ns", "net"));
            if (netns is null || netns == hostNetns)
            {
                continue;
            }

            // Only a process that named a pod is remembered: one outside the host netns without a pod cgroup may
            // be a sandbox process that has not joined its cgroups yet.
            var podProcess = known.TryGetValue(pid, out var seen) && seen.Netns == netns && clock.GetElapsedTime(seen.ReadAt, now) < KnownPodProcessTrust
                ? seen
                : new KnownPodProcess(netns, PodUids(ReadCgroup(Path.Combine(directory, "cgroup"), buffer)), now);
            if (podProcess.Uids.Count == 0)
            {
                continue;
            }

            podProcesses[pid] = podProcess;
            foreach (var uid in podProcess.Uids)
            {
                if (!byPod.TryGetValue(uid, out var processes))
                {
                    byPod[uid] = processes = [];
                }

                processes.Add((pid, netns));
            }
        }

        known = podProcesses;
        return new ProcScan(null, scanned, byPod);
    }

    private NetnsLookup Find(ProcScan scan, string podUid, ImmutableArray<IPAddress> podIps)
    {
        var candidates = new List<(int Pid, string Netns, ulong StartTime)>();
        foreach (var (pid, netns) in scan.ByPod.GetValueOrDefault(NormaliseUid(podUid)) ?? [])
        {
            if (StartTime(ReadText(Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture), "stat"))) is { } startTime)
            {
                candidates.Add((pid, netns, startTime));
            }
        }

        if (candidates.Count == 0)
        {
            return new NetnsLookup.NotYet($"no process of pod {podUid} outside the host network namespace yet ({scan.Scanned} processes scanned)");
        }

        var accepted = candidates
            .GroupBy(c => c.Netns)
            .Where(group => HoldsAny(group.OrderBy(c => c.StartTime).ThenBy(c => c.Pid).First().Pid, podIps))
            .SelectMany(group => group)
            .OrderBy(c => c.StartTime)
            .ThenBy(c => c.Pid)
            .ToList();
        if (accepted.Count == 0)
        {
            return new NetnsLookup.NotYet(
                $"{candidates.Count} process(es) of pod {podUid} found (pids {string.Join(", ", candidates.Select(c => c.Pid).Take(5))}), but no network namespace of theirs holds a pod IP ({string.Join(", ", podIps)})");
        }

        var oldest = accepted[0];
        return new NetnsLookup.Found(Path.Combine(procRoot, oldest.Pid.ToString(CultureInfo.InvariantCulture), "ns", "net"), oldest.Pid);
    }

    /// <summary>The pod UIDs a cgroup file's paths name (normalised): segments <c>pod&lt;uid&gt;</c> or <c>…-pod&lt;uid&gt;.slice</c>, '-' or '_' alike.</summary>
    internal static HashSet<string> PodUids(string? cgroupFile)
    {
        var uids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in (cgroupFile ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(':', 3);
            if (parts.Length < 3 || !parts[2].Contains("pod", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var segment in parts[2].Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!segment.Contains("pod", StringComparison.Ordinal))
                {
                    continue;
                }

                var match = PodSegment().Match(segment);
                if (match.Success)
                {
                    uids.Add(NormaliseUid(match.Groups["uid"].Value));
                }
            }
        }

        return uids;
    }

    internal static string NormaliseUid(string uid) => uid.Replace('_', '-').ToLowerInvariant();

    /// <summary>Field 22 of /proc/PID/stat (start time in clock ticks since boot), read after the command name's closing parenthesis.</summary>
    internal static ulong? StartTime(string? stat)
    {
        var close = stat?.LastIndexOf(')') ?? -1;
        if (close < 0)
        {
            return null;
        }

        var fields = stat![(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 19 && ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var start) ? start : null;
    }

    /// <summary>The local addresses of a netns as /proc/PID/net shows them: IPv4 from fib_trie ("/32 host LOCAL"), IPv6 from if_inet6.</summary>
    internal static HashSet<IPAddress> LocalAddresses(string? fibTrie, string? ifInet6)
    {
        var addresses = new HashSet<IPAddress>();
        string? last = null;
        foreach (var raw in (fibTrie ?? string.Empty).Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("|-- ", StringComparison.Ordinal))
            {
                last = line[4..].Trim();
            }
            else if (last is not null && line.StartsWith("/32 host LOCAL", StringComparison.Ordinal) && IPAddress.TryParse(last, out var v4))
            {
                addresses.Add(v4);
            }
        }

        foreach (var line in (ifInet6 ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var hex = line.Split(' ', 2)[0];
            if (hex.Length == 32)
            {
                try
                {
                    addresses.Add(new IPAddress(Convert.FromHexString(hex)));
                }
                catch (FormatException)
                {
                    // Not an address line; ignore it.
                }
            }
        }

        return addresses;
    }

    private bool HoldsAny(int pid, ImmutableArray<IPAddress> podIps)
    {
        var net = Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture), "net");
        var needsV6 = podIps.Any(ip => ip.AddressFamily == AddressFamily.InterNetworkV6);
        var local = LocalAddresses(ReadText(Path.Combine(net, "fib_trie")), needsV6 ? ReadText(Path.Combine(net, "if_inet6")) : null);
        return podIps.Any(ip => local.Contains(ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip));
    }

    private static string? ReadLink(string path) => Processes.Libc.ReadLink(path);

    /// <summary>
    /// A process's cgroup file, as text only when it names a pod at all. A scan reads one per process outside
    /// the host netns, so it reads into the scan's buffer instead of allocating a reader per file.
    /// </summary>
    private static string? ReadCgroup(string path, byte[] buffer)
    {
        try
        {
            using var handle = File.OpenHandle(path);
            var length = 0;
            int read;
            while (length < buffer.Length && (read = RandomAccess.Read(handle, buffer.AsSpan(length), length)) > 0)
            {
                length += read;
            }

            var content = buffer.AsSpan(0, length);
            return content.IndexOf("pod"u8) >= 0 ? System.Text.Encoding.UTF8.GetString(content) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"^(?:.*-)?pod(?<uid>[0-9A-Za-z_-]+?)(?:\.slice)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex PodSegment();

    /// <summary>A process outside the host netns whose cgroup file named pods, as a scan read it.</summary>
    private sealed record KnownPodProcess(string Netns, HashSet<string> Uids, long ReadAt);

    /// <summary>One pass over the proc root: the pod processes by normalised pod UID, or why it could not be read.</summary>
    private sealed record ProcScan(string? Failure, int Scanned, Dictionary<string, List<(int Pid, string Netns)>> ByPod)
    {
        public static ProcScan Failed(string reason) => new(reason, 0, []);
    }
}
