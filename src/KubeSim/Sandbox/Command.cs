using System.Diagnostics;

namespace IstioPodNetwork.KubeSim.Sandbox;

/// <summary>Runs a system tool with an argv array (never a shell) and fails with its stderr when it fails.</summary>
internal static class Command
{
    public static async Task<string> RunAsync(string file, IEnumerable<string> arguments, string? standardInput = null, CancellationToken cancellationToken = default)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
        }

        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            var command = string.Join(' ', info.ArgumentList.Prepend(file));
            throw new InvalidOperationException($"`{command}` failed with exit code {process.ExitCode}: {(await error).Trim()}" + (standardInput is null ? string.Empty : $" (input: {standardInput.Trim()})"));
        }

        return await output;
    }

    /// <summary>`ip` with each line of <paramref name="commands"/> run in <paramref name="netns"/> (ip -n NETNS -batch -).</summary>
    public static Task<string> IpBatchAsync(string netns, IEnumerable<string> commands, CancellationToken cancellationToken = default) =>
        RunAsync("ip", ["-n", netns, "-batch", "-"], string.Join('\n', commands) + "\n", cancellationToken);

    public static Task<string> IpAsync(params string[] arguments) => RunAsync("ip", arguments);
}
