using System.Runtime.InteropServices;
using IstioPodNetwork.Testing;
using Xunit.Abstractions;

namespace IstioPodNetwork.Integration.Tests.Agent;

public sealed class AgentProcessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_agent_joins_its_one_node_cluster_and_leaves_it_on_SIGTERM_within_5_seconds()
    {
        var healthPort = FreePort.Next();
        await using var agent = ChildProcess.Start(
            Binaries.Ipnc,
            ["agent", "--remoting-port", "0", "--health-port", healthPort.ToString(), "--health-host", "127.0.0.1", "--command-port", FreePort.Next().ToString()],
            output);
        using var http = new HttpClient();

        await Eventually.HoldsAsync(
            async () => (await http.GetAsync(new Uri($"http://127.0.0.1:{healthPort}/readyz"))).IsSuccessStatusCode,
            TimeSpan.FromSeconds(30),
            "the agent reporting ready (an Up member)");
        await agent.WaitForLineAsync(l => l.Contains("is Up in the cluster (1 member(s))", StringComparison.Ordinal), TimeSpan.FromSeconds(5), "the Up log line");

        var stopping = DateTime.UtcNow;
        agent.Signal(PosixSignal.SIGTERM);

        Assert.True(await agent.WaitForExitAsync(TimeSpan.FromSeconds(5)), "the agent did not exit within 5 s of SIGTERM:\n" + agent.Tail());
        output.WriteLine($"exited {(DateTime.UtcNow - stopping).TotalMilliseconds:0} ms after SIGTERM");
        Assert.Equal(0, agent.ExitCode);
        Assert.Contains(agent.Lines, l => l.Contains("as [Leaving]", StringComparison.Ordinal));
        Assert.Contains(agent.Lines, l => l.Contains("Exiting completed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_invalid_environment_setting_stops_the_agent_with_one_line_and_exit_code_2()
    {
        await using var agent = ChildProcess.Start(
            Binaries.Ipnc,
            ["agent"],
            output,
            new Dictionary<string, string?> { ["IPNC_REMOTING_PORT"] = "many" });

        Assert.True(await agent.WaitForExitAsync(TimeSpan.FromSeconds(20)), "the agent kept running with an invalid setting");
        Assert.Equal(2, agent.ExitCode);
        Assert.Equal(
            "ipnc: invalid setting remoting-port: \"many\" (from environment variable IPNC_REMOTING_PORT) is not a port number from 0 to 65535",
            Assert.Single(agent.Lines));
    }
}
