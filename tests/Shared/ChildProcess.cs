using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace IstioPodNetwork.Testing;

/// <summary>
/// A process a test started: argv only (no shell), output kept line by line so a
/// test can await a line with a bound, and killed on dispose if still running; what a killed .NET runtime
/// leaves behind is removed when it exits.
/// Free of xunit (benchmarks use it too); tests pass their output helper through ChildProcessXunit.cs.
/// </summary>
public sealed partial class ChildProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly ConcurrentQueue<string> lines = new();
    private readonly SemaphoreSlim lineArrived = new(0);
    private readonly Action<string>? log;
    private readonly string label;

    private ChildProcess(Process process, Action<string>? log, string label)
    {
        this.process = process;
        this.log = log;
        this.label = label;
    }

    public int Id => process.Id;

    public bool HasExited => process.HasExited;

    public int ExitCode => process.ExitCode;

    /// <summary>Every line the process wrote so far, standard output and error interleaved.</summary>
    public IReadOnlyList<string> Lines => [.. lines];

    public string StandardOutput { get; private set; } = string.Empty;

    public string StandardError { get; private set; } = string.Empty;

    /// <summary>Starts <paramref name="fileName"/>; every line it writes also goes to <paramref name="log"/>, prefixed with the label.</summary>
    public static ChildProcess Start(
        string fileName,
        IEnumerable<string> arguments,
        Action<string>? log,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? label = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        SetEnvironment(info, environment ?? new Dictionary<string, string?>());
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process, log, label ?? Path.GetFileName(fileName));
        var stdout = new System.Text.StringBuilder();
        var stderr = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => child.Collect(e.Data, stdout, text => child.StandardOutput = text);
        process.ErrorDataReceived += (_, e) => child.Collect(e.Data, stderr, text => child.StandardError = text);
        process.Start();
        if (RuntimeLeftovers.Of(process.Id) is { } leftovers)
        {
            process.Exited += (_, _) => leftovers.Remove();
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Sets each variable of <paramref name="environment"/> for the process; a null value removes it from what the process inherits.</summary>
    public static void SetEnvironment(ProcessStartInfo info, IReadOnlyDictionary<string, string?> environment)
    {
        foreach (var (name, value) in environment)
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }
    }

    /// <summary>Waits until a line satisfying <paramref name="match"/> has been written, or fails after <paramref name="timeout"/>.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, string what)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            var found = lines.FirstOrDefault(match);
            if (found is not null)
            {
                return found;
            }

            if (process.HasExited && !await lineArrived.WaitAsync(TimeSpan.FromMilliseconds(200)))
            {
                throw new TimeoutException($"{label} exited with code {process.ExitCode} before {what}; last lines:\n{Tail()}");
            }

            try
            {
                await lineArrived.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{label}: no {what} within {timeout.TotalSeconds:0.#} s; last lines:\n{Tail()}");
            }
        }
    }

    /// <summary>Waits for the process to end; false when it is still running after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Signal(PosixSignal signal)
    {
        var number = signal switch
        {
            PosixSignal.SIGTERM => 15,
            PosixSignal.SIGINT => 2,
            PosixSignal.SIGQUIT => 3,
            _ => throw new ArgumentOutOfRangeException(nameof(signal), signal, "not a signal tests send"),
        };
        if (!process.HasExited && Kill(process.Id, number) != 0)
        {
            throw new InvalidOperationException($"kill({process.Id}, {number}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public void KillHard()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }
    }

    public string Tail(int count = 30) => string.Join('\n', lines.TakeLast(count));

    public async ValueTask DisposeAsync()
    {
        KillHard();
        await WaitForExitAsync(TimeSpan.FromSeconds(10));
        process.Dispose();
        lineArrived.Dispose();
    }

    private void Collect(string? line, System.Text.StringBuilder stream, Action<string> publish)
    {
        if (line is null)
        {
            return;
        }

        lock (stream)
        {
            stream.AppendLine(line);
            publish(stream.ToString());
        }

        Add(line);
    }

    private void Add(string line)
    {
        lines.Enqueue(line);
        lineArrived.Release();
        log?.Invoke($"[{label}] {line}");
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
