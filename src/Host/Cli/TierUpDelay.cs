using System.Collections;
using System.Runtime.InteropServices;

namespace IstioPodNetwork.Host.Cli;

/// <summary>
/// Holds back the runtime's tier-1 recompilation until the agent has met no new code for 1 s instead of
/// the runtime's 100 ms. With 100 ms, agents recompile their hot start-up methods while they still start,
/// join the cluster and program their first pods: on 2 cores that background compiler was a third of
/// ten agents' CPU while they formed a cluster (perf), and its bursts showed in one agent's tail latency.
/// Measured back to back: bench/Cluster.Bench, 10 agents forming, 25.5-26.5 instead of 41.6-42.4 agent
/// CPU-seconds; bench/Agent.Bench, created → initialized p99 53-57 instead of 69-79 ms; for a first
/// burst of 110 pods run longer on unoptimised code, 1.33-1.38 instead of 1.24-1.26 × the floor.
/// The runtime reads this setting from its environment only, once, as it starts. The image sets it
/// (deploy/Dockerfile); elsewhere `ipnc agent` replaces itself (execve: same process id, arguments and
/// environment) with a process that has it, unless the environment already sets it, which is then kept.
/// </summary>
internal static partial class TierUpDelay
{
    internal const string Variable = "DOTNET_TC_CallCountingDelayMs";

    /// <summary>Read by the runtime as hexadecimal: 0x3E8 = 1,000 ms, what the runtime itself chooses on a single CPU.</summary>
    internal const string Value = "3E8";

    /// <summary>For `ipnc agent` run as its own launcher, without the setting: does not return unless execve failed.</summary>
    public static void RestartWithIt(IReadOnlyList<string> args)
    {
        if (args is not ["agent", ..]
            || Environment.GetEnvironmentVariable(Variable) is not null
            || Environment.ProcessPath is not { } launcher
            || Path.GetFileName(launcher) != "ipnc")
        {
            return;
        }

        string?[] argv = [launcher, .. args, null];
        string?[] environment =
        [
            .. Environment.GetEnvironmentVariables().Cast<DictionaryEntry>().Select(e => $"{e.Key}={e.Value}"),
            $"{Variable}={Value}",
            null,
        ];
        ReleaseDiagnosticsSocket();
        Execve(launcher, argv, environment);
        Console.Error.WriteLine($"ipnc: could not restart with {Variable} set ({Marshal.GetLastPInvokeErrorMessage()}); the agent runs with the runtime's default");
    }

    /// <summary>
    /// The runtime listens for diagnostic tools (dotnet-counters, -trace, -gcdump) on a socket named by process id
    /// and start time, both of which execve keeps: the runtime after it cannot listen there while this one's file
    /// exists, and the agent would be out of those tools' reach.
    /// </summary>
    private static void ReleaseDiagnosticsSocket()
    {
        foreach (var socket in Directory.EnumerateFiles(Path.GetTempPath(), $"dotnet-diagnostic-{Environment.ProcessId}-*-socket"))
        {
            File.Delete(socket);
        }
    }

    [LibraryImport("libc", EntryPoint = "execve", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Execve(string path, string?[] argv, string?[] environment);
}
