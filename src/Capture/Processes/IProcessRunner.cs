using System.Collections.Immutable;

namespace IstioPodNetwork.Capture.Processes;

/// <summary>A process to run: an argv array (never a shell), optional standard input, optionally inside a network namespace.</summary>
/// <param name="NetworkNamespace">A netns file (/proc/PID/ns/net, /var/run/netns/NAME) to run the process in; null for the caller's own.</param>
public sealed record ProcessRequest(ImmutableArray<string> Argv, string? StandardInput = null, string? NetworkNamespace = null)
{
    public override string ToString() => string.Join(' ', Argv) + (NetworkNamespace is null ? string.Empty : $" (in {NetworkNamespace})");
}

/// <summary>How a process ended. A process that could not be started is exit code -1 with the reason as its error output.</summary>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError, TimeSpan Duration)
{
    public const int NotStarted = -1;

    public bool Succeeded => ExitCode == 0;

    /// <summary>One line for logs and failure reasons: the exit code and the first line of the error output.</summary>
    public string Describe()
    {
        var firstError = StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "no error output";
        return ExitCode == NotStarted ? firstError : $"exit code {ExitCode}: {firstError}";
    }
}

/// <summary>Runs processes; everything in Capture that spawns one goes through it, so tests can fail any step and benchmarks can count spawns.</summary>
public interface IProcessRunner
{
    /// <summary>How many processes this runner started so far.</summary>
    long Spawned { get; }

    /// <summary>Runs the process to its end. Expected failures are results, not exceptions; cancellation kills the process and throws.</summary>
    Task<ProcessResult> RunAsync(ProcessRequest request, CancellationToken cancellationToken);
}

/// <summary>Reads files under /proc/&lt;self&gt;/net as a network namespace sees them, without starting a process.</summary>
public interface INetnsProcFiles
{
    /// <summary>The content of /proc/thread-self/net/<paramref name="name"/> inside <paramref name="networkNamespace"/>; null when it cannot be read.</summary>
    Task<string?> ReadAsync(string networkNamespace, string name, CancellationToken cancellationToken);
}
