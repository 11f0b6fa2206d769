using System.Security.Cryptography;

namespace IstioPodNetwork.Capture.Tests.Infrastructure;

/// <summary>
/// A network namespace a test made (`ip netns add`), named with this run's unique prefix, loopback up,
/// deleted on dispose together with the veth ends inside it.
/// </summary>
public sealed class TestNetns : IAsyncDisposable
{
    /// <summary>"ipt" + 4 random hex digits: unique per test run, so parallel runs never collide.</summary>
    public static readonly string RunPrefix = "ipt" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2));

    private static int counter;

    private TestNetns(string name) => Name = name;

    public string Name { get; }

    public string Path => "/var/run/netns/" + Name;

    public static async Task<TestNetns> CreateAsync()
    {
        var netns = new TestNetns($"{RunPrefix}-{Interlocked.Increment(ref counter)}");
        await Commands.RunAsync("ip", "netns", "add", netns.Name);
        await netns.RunAsync("ip", "link", "set", "lo", "up");
        return netns;
    }

    public Task<string> RunAsync(params string[] argv) => Commands.RunInAsync(Path, null, argv);

    public Task<string> RunWithInputAsync(string input, params string[] argv) => Commands.RunInAsync(Path, input, argv);

    public async ValueTask DisposeAsync() => await Commands.TryInAsync(null, null, "ip", "netns", "del", Name);
}

/// <summary>Test subnets: 10.X.N.0/24 and fdXX:N::/64 with X fixed per run and N counting up, never the machine's own ranges.</summary>
public static class TestSubnets
{
    private static readonly int Second = 100 + RandomNumberGenerator.GetInt32(100);
    private static int next;

    /// <summary>A fresh /24 prefix such as "10.142.7" (append ".1", ".2").</summary>
    public static string NextV4() => $"10.{Second}.{Interlocked.Increment(ref next) % 250}";

    /// <summary>A fresh /64 prefix such as "fd42:7:" (append ":1").</summary>
    public static string NextV6() => $"fd{Second:x2}:{Interlocked.Increment(ref next) % 250:x}:";
}
