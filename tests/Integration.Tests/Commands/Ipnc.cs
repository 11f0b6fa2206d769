using IstioPodNetwork.Integration.Tests.Support;
using System.Text.Json;
using IstioPodNetwork.Testing;
using Xunit.Abstractions;

namespace IstioPodNetwork.Integration.Tests.Commands;

/// <summary>What one run of the `ipnc` client printed and how it ended.</summary>
public sealed record ClientRun(int ExitCode, string Output, string Error)
{
    public IReadOnlyList<string> OutputLines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public IReadOnlyList<string> ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public JsonElement Json => JsonDocument.Parse(Output).RootElement;
}

/// <summary>Runs the real `ipnc` client binary, as an operator would through `kubectl exec`.</summary>
public static class Ipnc
{
    public static Task<ClientRun> RunAsync(ITestOutputHelper? output, params string[] args) => RunInAsync(null, output, args);

    /// <summary>Runs the client inside network namespace <paramref name="netns"/> (where a node's agent listens on 127.0.0.1), or here when null.</summary>
    public static async Task<ClientRun> RunInAsync(string? netns, ITestOutputHelper? output, params string[] args)
    {
        await using var client = netns is null
            ? ChildProcess.Start(Binaries.Ipnc, args, output, label: "ipnc " + string.Join(' ', args))
            : ChildProcess.Start("ip", ["netns", "exec", netns, Binaries.Ipnc, .. args], output, label: "ipnc " + string.Join(' ', args));
        if (!await client.WaitForExitAsync(TimeSpan.FromSeconds(20)))
        {
            throw new TimeoutException($"ipnc {string.Join(' ', args)} did not end within 20 s:\n{client.Tail()}");
        }

        return new ClientRun(client.ExitCode, client.StandardOutput, client.StandardError);
    }

    /// <summary>Waits until <paramref name="agent"/> sees exactly the members on the nodes named, all up.</summary>
    public static Task MembersUpAsync(RunningAgent agent, ITestOutputHelper? output, params string[] nodes) =>
        Eventually.HoldsAsync(
            async () =>
            {
                var members = (await RunAsync(output, agent.Endpoint, "cluster", "show", "-o", "json")).Json.GetProperty("members").EnumerateArray().ToList();
                return members.Count == nodes.Length
                    && members.All(m => m.GetProperty("status").GetString() == "up")
                    && members.Select(m => m.GetProperty("node").GetString()).Order(StringComparer.Ordinal).SequenceEqual(nodes.Order(StringComparer.Ordinal));
            },
            TimeSpan.FromSeconds(30),
            $"{agent.Node} seeing exactly {string.Join(", ", nodes)} up",
            TimeSpan.FromMilliseconds(200));
}
