using System.Diagnostics;

namespace IstioPodNetwork.Testing;

/// <summary>Runs a short system command (argv, no shell) and insists on success.</summary>
public static class Shell
{
    public static async Task<string> RunAsync(IReadOnlyList<string> argv, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(argv[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in argv.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{argv[0]} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(timeout ?? TimeSpan.FromSeconds(30));
        return process.ExitCode == 0
            ? await stdout
            : throw new InvalidOperationException($"{string.Join(' ', argv)} exited {process.ExitCode}: {(await stderr).Trim()}");
    }
}
