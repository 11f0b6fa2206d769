using IstioPodNetwork.Integration.Tests.Support;

namespace IstioPodNetwork.Integration.Tests.Commands;

/// <summary>Two agents in one cluster, node-a (the seed) and node-b, shared by tests that only look.</summary>
public sealed class TwoAgents : IAsyncLifetime
{
    public RunningAgent A { get; private set; } = null!;

    public RunningAgent B { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        A = await RunningAgent.StartAsync("node-a", null);
        B = await RunningAgent.StartAsync("node-b", null, seed: A);
        await Ipnc.MembersUpAsync(A, null, "node-a", "node-b");
        await Ipnc.MembersUpAsync(B, null, "node-a", "node-b");
    }

    public async Task DisposeAsync()
    {
        if (B is not null)
        {
            await B.DisposeAsync();
        }

        if (A is not null)
        {
            await A.DisposeAsync();
        }
    }
}
