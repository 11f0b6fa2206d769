using System.Net.Sockets;
using System.Runtime.InteropServices;
using IstioPodNetwork.Integration.Tests.Support;
using IstioPodNetwork.Testing;
using Xunit.Abstractions;

namespace IstioPodNetwork.Integration.Tests.Agent;

public sealed class AgentProcessTests(ITestOutputHelper output)
{
    private const string TierUpDelayVariable = "DOTNET_TC_CallCountingDelayMs";

    [Fact]
    public async Task The_agent_joins_its_one_node_cluster_becomes_ready_and_leaves_on_SIGTERM_within_5_seconds()
    {
        await using var agent = await RunningAgent.StartAsync("node-a", output);
        using var http = new HttpClient();

        await Eventually.HoldsAsync(
            async () => (await http.GetAsync(new Uri(agent.Health, "readyz"))).IsSuccessStatusCode,
            TimeSpan.FromSeconds(30),
            "the agent reporting ready (an Up member whose watches have synced)");
        await agent.Process.WaitForLineAsync(l => l.Contains($"Agent {agent.Address} is Up in the cluster", StringComparison.Ordinal), TimeSpan.FromSeconds(5), "the Up log line");

        var stopping = DateTime.UtcNow;
        agent.Process.Signal(PosixSignal.SIGTERM);

        Assert.True(await agent.Process.WaitForExitAsync(TimeSpan.FromSeconds(5)), "the agent did not exit within 5 s of SIGTERM:\n" + agent.Process.Tail());
        output.WriteLine($"exited {(DateTime.UtcNow - stopping).TotalMilliseconds:0} ms after SIGTERM");
        Assert.Equal(0, agent.Process.ExitCode);
        Assert.Contains(agent.Process.Lines, l => l.Contains("as [Leaving]", StringComparison.Ordinal));
        Assert.Contains(agent.Process.Lines, l => l.Contains("Exiting completed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_agent_runs_with_tier_up_held_back_in_the_process_it_was_started_as()
    {
        await using var agent = await RunningAgent.StartAsync("node-a", output);

        Assert.Equal("3E8", TierUpDelayOf(agent)); // 1 s
    }

    [Fact]
    public async Task The_restarted_agent_is_within_reach_of_dotnet_diagnostic_tools()
    {
        await using var agent = await RunningAgent.StartAsync("node-a", output);

        // dotnet-counters, -trace and -gcdump connect to this socket.
        var socket = Assert.Single(Directory.GetFiles(Path.GetTempPath(), $"dotnet-diagnostic-{agent.Process.Id}-*-socket"));
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await client.ConnectAsync(new UnixDomainSocketEndPoint(socket));
        Assert.True(client.Connected);
    }

    [Fact]
    public async Task The_agent_never_sets_up_app_config_reading()
    {
        await using var agent = await RunningAgent.StartAsync("node-a", output);

        // Akka's actor system asks app.config for an `akka` section (so System.Configuration is loaded); .NET's own
        // configuration system would answer from its client configuration host, which loads System.Net.WebClient
        // (app.config may be a URL) and parses its built-in machine.config.
        var mapped = await File.ReadAllTextAsync($"/proc/{agent.Process.Id}/maps");
        Assert.Contains("System.Configuration.ConfigurationManager.dll", mapped, StringComparison.Ordinal);
        Assert.DoesNotContain("System.Net.WebClient.dll", mapped, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tier_up_delay_set_by_the_operator_is_kept()
    {
        await using var agent = await RunningAgent.StartAsync(
            "node-a", output, environment: new Dictionary<string, string?> { [TierUpDelayVariable] = "64" });

        Assert.Equal("64", TierUpDelayOf(agent));
    }

    [Fact]
    public async Task An_invalid_environment_setting_stops_the_agent_with_one_line_and_exit_code_2()
    {
        await using var agent = ChildProcess.Start(
            Binaries.Ipnc,
            ["agent", "--node-name", "node-a"],
            output,
            new Dictionary<string, string?> { ["IPNC_REMOTING_PORT"] = "many" });

        Assert.True(await agent.WaitForExitAsync(TimeSpan.FromSeconds(20)), "the agent kept running with an invalid setting");
        Assert.Equal(2, agent.ExitCode);
        Assert.Equal(
            "ipnc: invalid setting remoting-port: \"many\" (from environment variable IPNC_REMOTING_PORT) is not a port number from 0 to 65535",
            Assert.Single(agent.Lines));
    }

    [Fact]
    public async Task An_agent_with_no_API_to_talk_to_says_so_in_one_line_and_exits_2()
    {
        await using var agent = ChildProcess.Start(
            Binaries.Ipnc,
            ["agent", "--node-name", "node-a"],
            output,
            new Dictionary<string, string?> { ["KUBECONFIG"] = null, ["KUBERNETES_SERVICE_HOST"] = null });

        Assert.True(await agent.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(2, agent.ExitCode);
        Assert.StartsWith("ipnc: cannot reach the Kubernetes API: no Kubernetes API to talk to", Assert.Single(agent.Lines), StringComparison.Ordinal);
    }

    /// <summary>The delay (hexadecimal milliseconds, as the runtime reads it) in the environment of the process the test started, as it runs now.</summary>
    private static string? TierUpDelayOf(RunningAgent agent) =>
        File.ReadAllText($"/proc/{agent.Process.Id}/environ").Split('\0')
            .Where(v => v.StartsWith(TierUpDelayVariable + "=", StringComparison.Ordinal))
            .Select(v => v[(TierUpDelayVariable.Length + 1)..])
            .SingleOrDefault();
}
