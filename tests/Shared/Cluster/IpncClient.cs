using System.Text.Json;

namespace IstioPodNetwork.Testing;

/// <summary>What one run of the `ipnc` client printed and how it ended.</summary>
public sealed record ClientRun(int ExitCode, string Output, string Error)
{
    public IReadOnlyList<string> OutputLines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public IReadOnlyList<string> ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public JsonElement Json => JsonDocument.Parse(Output).RootElement;
}

/// <summary>Runs the real `ipnc` client binary, as an operator would through `kubectl exec`.</summary>
public static class IpncClient
{
    /// <summary>Runs the client inside network namespace <paramref name="netns"/> (where a node's agent listens on 127.0.0.1), or here when null.</summary>
    public static async Task<ClientRun> RunAsync(string? netns, Action<string>? log, params string[] args)
    {
        await using var client = netns is null
            ? ChildProcess.Start(Binaries.Ipnc, args, log, label: "ipnc " + string.Join(' ', args))
            : ChildProcess.Start("ip", ["netns", "exec", netns, Binaries.Ipnc, .. args], log, label: "ipnc " + string.Join(' ', args));
        if (!await client.WaitForExitAsync(TimeSpan.FromSeconds(20)))
        {
            throw new TimeoutException($"ipnc {string.Join(' ', args)} did not end within 20 s:\n{client.Tail()}");
        }

        return new ClientRun(client.ExitCode, client.StandardOutput, client.StandardError);
    }
}
