using System.ComponentModel;
using System.Diagnostics;

namespace IstioPodNetwork.Capture.Processes;

/// <summary>The real <see cref="IProcessRunner"/>: starts each process directly (no shell), inside a netns through <see cref="NetnsThread"/>.</summary>
public sealed class ProcessRunner : IProcessRunner
{
    private long spawned;

    public long Spawned => Interlocked.Read(ref spawned);

    public async Task<ProcessResult> RunAsync(ProcessRequest request, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        Process process;
        try
        {
            process = request.NetworkNamespace is null
                ? Start(request)
                : await NetnsThread.RunAsync(request.NetworkNamespace, () => Start(request));
        }
        catch (Exception e) when (e is Win32Exception or NetnsUnavailableException or InvalidOperationException or IOException)
        {
            return new ProcessResult(ProcessResult.NotStarted, string.Empty, $"cannot start {request}: {e.Message}", Stopwatch.GetElapsedTime(started));
        }

        Interlocked.Increment(ref spawned);
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                if (request.StandardInput is not null)
                {
                    await process.StandardInput.WriteAsync(request.StandardInput.AsMemory(), cancellationToken);
                }

                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The process exited without reading all its input; its exit code says why.
            }

            try
            {
                await process.WaitForExitAsync(cancellationToken);
                return new ProcessResult(process.ExitCode, await output, await error, Stopwatch.GetElapsedTime(started));
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
        }
    }

    /// <summary>Synchronous on purpose: inside a netns this runs on the namespace's thread, and the fork must happen there.</summary>
    private static Process Start(ProcessRequest request)
    {
        var info = new ProcessStartInfo(request.Argv[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in request.Argv.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"{request.Argv[0]} did not start");
    }
}

/// <summary>The real <see cref="INetnsProcFiles"/>: reads /proc/thread-self/net from a thread inside the netns.</summary>
public sealed class NetnsProcFiles : INetnsProcFiles
{
    public async Task<string?> ReadAsync(string networkNamespace, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await NetnsThread.RunAsync(networkNamespace, () => File.ReadAllText(Path.Combine("/proc/thread-self/net", name)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NetnsUnavailableException)
        {
            return null;
        }
    }
}
