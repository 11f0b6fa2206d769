using IstioPodNetwork.Integration.Tests.Support;
using IstioPodNetwork.Testing;
using Xunit.Abstractions;

namespace IstioPodNetwork.Integration.Tests.Commands;

/// <summary>Every read-only command and the client's errors, against two real agents in one cluster.</summary>
public sealed class CommandOutputTests(TwoAgents agents, ITestOutputHelper output) : IClassFixture<TwoAgents>
{
    private RunningAgent A => agents.A;

    private RunningAgent B => agents.B;

    [Fact]
    public async Task Cluster_show_prints_one_aligned_line_per_member_with_its_node_then_a_count()
    {
        var run = await Ipnc.RunAsync(output, A.Endpoint, "cluster", "show");

        Assert.Equal(0, run.ExitCode);
        Assert.Empty(run.Error);
        var lines = run.OutputLines;
        Assert.Equal(4, lines.Count);
        Assert.Matches(@"^ADDRESS +NODE +STATUS +REACHABILITY +ROLES +UP SINCE$", lines[0]);
        foreach (var agent in new[] { A, B })
        {
            var line = Assert.Single(lines, l => l.StartsWith(agent.Address + " ", StringComparison.Ordinal));
            Assert.Matches($@"^{agent.Address} +{agent.Node} +up +reachable +agent +\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$", line);
        }

        Assert.Equal(lines[0].IndexOf("NODE", StringComparison.Ordinal), lines[1].IndexOf("node-", StringComparison.Ordinal));
        Assert.Equal("Count: 2 members (2 up)", lines[3]);
        Assert.DoesNotContain('\u001b', run.Output);
    }

    [Fact]
    public async Task Cluster_show_as_json_has_one_object_per_member()
    {
        var run = await Ipnc.RunAsync(output, B.Endpoint, "-o", "json", "cluster", "show");

        Assert.Equal(0, run.ExitCode);
        var members = run.Json.GetProperty("members").EnumerateArray().ToList();
        Assert.Equal(new[] { A.Address, B.Address }.Order(StringComparer.Ordinal), members.Select(m => m.GetProperty("address").GetString()));
        var b = Assert.Single(members, m => m.GetProperty("address").GetString() == B.Address);
        Assert.Equal("node-b", b.GetProperty("node").GetString());
        Assert.Equal("up", b.GetProperty("status").GetString());
        Assert.Equal("reachable", b.GetProperty("reachability").GetString());
        Assert.Equal(["agent"], b.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.True(DateTimeOffset.UtcNow - b.GetProperty("upSince").GetDateTimeOffset() < TimeSpan.FromMinutes(5));
    }

    [Fact]
    public async Task Cluster_status_shows_this_nodes_view_and_cluster_leader_agrees_on_the_leader()
    {
        var status = await Ipnc.RunAsync(output, B.Endpoint, "cluster", "status");
        var leader = await Ipnc.RunAsync(output, A.Endpoint, "cluster", "leader", "-o", "json");

        Assert.Equal(0, status.ExitCode);
        Assert.Equal($"self:        {B.Address}", status.OutputLines[0]);
        Assert.Contains("node:        node-b", status.OutputLines);
        Assert.Contains("status:      up", status.OutputLines);
        Assert.Contains("members:     2", status.OutputLines);
        Assert.Contains("by status:   up=2", status.OutputLines);
        Assert.Contains("unreachable: -", status.OutputLines);

        Assert.Equal(0, leader.ExitCode);
        var leaderAddress = leader.Json.GetProperty("leader").GetProperty("leader").GetString();
        Assert.Contains(leaderAddress, new[] { A.Address, B.Address });
        Assert.Contains($"leader:      {leaderAddress}", status.OutputLines);
        Assert.Equal(leaderAddress == A.Address ? "node-a" : "node-b", leader.Json.GetProperty("leader").GetProperty("node").GetString());
    }

    [Fact]
    public async Task Cluster_down_unreachable_with_every_member_reachable_downs_nothing()
    {
        var run = await Ipnc.RunAsync(output, A.Endpoint, "cluster", "down-unreachable");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["downed 0 unreachable members"], run.OutputLines);
    }

    [Fact]
    public async Task Actor_hierarchy_prints_one_sorted_path_per_line_down_to_the_depth_asked()
    {
        var byDefault = await Ipnc.RunAsync(output, A.Endpoint, "actor", "hierarchy");
        var shallow = await Ipnc.RunAsync(output, A.Endpoint, "actor", "hierarchy", "-d", "1");

        Assert.Equal(0, byDefault.ExitCode);
        var paths = byDefault.OutputLines.Skip(1).SkipLast(1).Select(l => l.Split(' ')[0]).ToList();
        Assert.Equal(paths.Order(StringComparer.Ordinal), paths);
        Assert.Contains("/system/cluster/core/daemon", paths);
        Assert.Equal(4, paths.Max(p => p.Count(c => c == '/')));
        Assert.Matches(@"^\d+ actors, 4 levels deep$", byDefault.OutputLines[^1]);
        Assert.Equal(["/system", "/user"], shallow.OutputLines.Skip(1).SkipLast(1).Select(l => l.Split(' ')[0]));
    }

    [Fact]
    public async Task Log_peek_prints_the_agents_recent_log_lines()
    {
        var all = await Ipnc.RunAsync(output, B.Endpoint, "log", "peek", "-n", "1000");
        var two = await Ipnc.RunAsync(output, B.Endpoint, "log", "peek", "--lines=2", "-o", "json");

        Assert.Equal(0, all.ExitCode);
        Assert.Matches(@"^TIME +LEVEL +MESSAGE$", all.OutputLines[0]);
        Assert.Contains(all.OutputLines, l => l.Contains("Information", StringComparison.Ordinal) && l.Contains($"Agent {B.Address} is Up in the cluster", StringComparison.Ordinal));
        Assert.Matches(@"^\d+ of \d+ lines logged since the agent started$", all.OutputLines[^1]);
        Assert.Equal(2, two.Json.GetProperty("lines").GetArrayLength());
        Assert.Equal("Operator command: log peek --lines=2", two.Json.GetProperty("lines")[1].GetProperty("message").GetString());
    }

    [Fact]
    public async Task Help_lists_what_the_agent_offers_one_unwrapped_line_each_and_describes_one_command()
    {
        var json = await Ipnc.RunAsync(output, A.Endpoint, "help", "-o", "json");
        var text = await Ipnc.RunAsync(output, A.Endpoint, "help");
        var one = await Ipnc.RunAsync(output, A.Endpoint, "pods", "--help");

        Assert.Equal(0, json.ExitCode);
        var usages = json.Json.GetProperty("commands").EnumerateArray().Select(c => c.GetProperty("command").GetString()!).ToList();
        Assert.Equal(
            ["help [COMMAND...]", "cluster show", "cluster status", "cluster leader", "cluster leave", "cluster down ADDRESS", "cluster down-unreachable", "cluster tail",
             "pods [--node NODE] [-n NS] [--state STATE]", "pod describe NS/NAME", "pod retry NS/NAME", "actor hierarchy [-d N]", "log peek [-n N]"],
            usages);
        var rows = text.OutputLines.Skip(1).SkipLast(1).ToList();
        Assert.Equal(usages.Count, rows.Count);
        Assert.All(rows.Zip(usages), pair => Assert.StartsWith(pair.Second + " ", pair.First, StringComparison.Ordinal));
        Assert.Contains(rows, l => l.Length > 120);

        Assert.Equal(0, one.ExitCode);
        Assert.Equal("command:     pods [--node NODE] [-n NS] [--state STATE]", one.OutputLines[0]);
        Assert.Contains(one.OutputLines, l => l.StartsWith("--state STATE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Pods_on_an_agent_with_no_pods_says_so_in_one_line()
    {
        var run = await Ipnc.RunAsync(output, [A.Endpoint, "pods"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["0 pods"], run.OutputLines);
    }

    [Theory]
    [InlineData("pod describe default/ghost", "ipnc: pod default/ghost is not known to the cluster (see 'ipnc pods')")]
    [InlineData("pod retry default/ghost", "ipnc: pod default/ghost is not known to the cluster (see 'ipnc pods')")]
    public async Task Pod_commands_about_an_unknown_pod_fail_with_one_clear_line(string command, string message)
    {
        var run = await Ipnc.RunAsync(output, [A.Endpoint, .. command.Split(' ')]);

        Assert.Equal(1, run.ExitCode);
        Assert.Empty(run.Output);
        Assert.Equal([message], run.ErrorLines);
    }

    [Theory]
    [InlineData("frobnicate", 2, "ipnc: unknown command 'frobnicate' (try 'ipnc help')")]
    [InlineData("cluster frobnicate", 2, "ipnc: unknown command 'cluster frobnicate': 'cluster' takes show, status, leader, leave, down, down-unreachable, tail")]
    [InlineData("actor hierarchy -d 0", 2, "ipnc: invalid value '0' for --depth: expected a whole number from 1 to 32")]
    [InlineData("pods --state Sleeping", 2, "ipnc: invalid value 'Sleeping' for --state: expected one of Pending, LocatingNetns, Programming, Verifying, Annotating, Initialized, Removing, Failed")]
    [InlineData("pod describe web", 2, "ipnc: invalid value 'web' for NS/NAME: expected NAMESPACE/NAME, such as default/web-0")]
    [InlineData("cluster down", 2, "ipnc: 'cluster down' needs ADDRESS (usage: cluster down ADDRESS)")]
    [InlineData("cluster down 127.0.0.1:4053", 2, "ipnc: invalid value '127.0.0.1:4053' for ADDRESS: expected a member's address such as akka.tcp://ipnc@10.0.0.5:4053")]
    [InlineData("cluster show -o yaml", 2, "ipnc: invalid value 'yaml' for --output: expected text or json")]
    public async Task A_wrong_command_line_is_one_line_on_standard_error_and_exit_code_2(string command, int exitCode, string message)
    {
        var run = await Ipnc.RunAsync(output, [A.Endpoint, .. command.Split(' ')]);

        Assert.Equal(exitCode, run.ExitCode);
        Assert.Empty(run.Output);
        Assert.Equal([message], run.ErrorLines);
    }

    [Fact]
    public async Task Downing_an_address_that_is_no_member_fails_naming_it()
    {
        var run = await Ipnc.RunAsync(output, A.Endpoint, "cluster", "down", "akka.tcp://ipnc@127.0.0.1:1");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal([$"ipnc: akka.tcp://ipnc@127.0.0.1:1 is not a member of the cluster as {A.Address} sees it (see 'ipnc cluster show')"], run.ErrorLines);
        await Ipnc.MembersUpAsync(A, output, "node-a", "node-b");
    }

    [Fact]
    public async Task An_unreachable_agent_is_one_line_and_exit_code_3()
    {
        var port = FreePort.Next();

        var run = await Ipnc.RunAsync(output, $"127.0.0.1:{port}", "cluster", "show");

        Assert.Equal(3, run.ExitCode);
        Assert.Empty(run.Output);
        Assert.Equal([$"ipnc: cannot reach the agent at 127.0.0.1:{port}: Connection refused"], run.ErrorLines);
    }

    [Fact]
    public async Task Without_an_endpoint_the_client_asks_the_agent_on_the_command_port_its_environment_sets()
    {
        await using var client = ChildProcess.Start(
            Binaries.Ipnc,
            ["cluster", "leader"],
            output,
            new Dictionary<string, string?> { ["IPNC_COMMAND_PORT"] = B.CommandPort.ToString(System.Globalization.CultureInfo.InvariantCulture) });

        Assert.True(await client.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(0, client.ExitCode);
        Assert.StartsWith("leader: ", client.StandardOutput, StringComparison.Ordinal);
    }
}
