using IstioPodNetwork.Integration.Tests.Support;
using IstioPodNetwork.Testing;
using Xunit.Abstractions;

namespace IstioPodNetwork.Integration.Tests.Commands;

/// <summary>Runs the real `ipnc` client binary, as an operator would through `kubectl exec`.</summary>
public static class Ipnc
{
    public static Task<ClientRun> RunAsync(ITestOutputHelper? output, params string[] args) => RunInAsync(null, output, args);

    /// <summary>Runs the client inside network namespace <paramref name="netns"/> (where a node's agent listens on 127.0.0.1), or here when null.</summary>
    public static Task<ClientRun> RunInAsync(string? netns, ITestOutputHelper? output, params string[] args) =>
        IpncClient.RunAsync(netns, XunitLog.To(output), args);

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
