using IstioPodNetwork.Host.Cli;
using IstioPodNetwork.Testing;

namespace IstioPodNetwork.Host.Tests.Cli;

public sealed class IpncCliTests
{
    [Fact]
    public async Task An_unknown_flag_is_one_line_and_exit_code_2()
    {
        var (exitCode, output, error) = await Run("agent", "--bogus-setting");

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Empty(output);
        Assert.Equal("ipnc: unknown option '--bogus-setting' (see 'ipnc agent --help')", Assert.Single(Lines(error)));
    }

    [Fact]
    public async Task An_invalid_flag_value_is_one_line_and_exit_code_2()
    {
        var (exitCode, _, error) = await Run("agent", "--log-format", "yaml");

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal("ipnc: invalid setting log-format: \"yaml\" (from flag --log-format) is not one of text, json", Assert.Single(Lines(error)));
    }

    [Fact]
    public async Task An_invalid_HOCON_override_is_one_line_and_exit_code_2()
    {
        var file = Path.Combine(Path.GetTempPath(), $"ipnc-{Guid.NewGuid():N}.conf");
        await File.WriteAllTextAsync(file, "ipnc.command-port = -1");
        try
        {
            var (exitCode, _, error) = await Run("agent", "--config", file);

            Assert.Equal(ExitCodes.Usage, exitCode);
            Assert.Equal($"ipnc: invalid setting command-port: \"-1\" (from {file}, ipnc.command-port) is not a port number from 0 to 65535", Assert.Single(Lines(error)));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_word_no_local_verb_has_goes_to_the_agent_and_an_unreachable_agent_is_one_line_and_exit_code_3()
    {
        var port = FreePort.Next();

        var (exitCode, output, error) = await Run($"127.0.0.1:{port}", "frobnicate");

        Assert.Equal(ExitCodes.Unreachable, exitCode);
        Assert.Empty(output);
        Assert.StartsWith($"ipnc: cannot reach the agent at 127.0.0.1:{port}: ", Assert.Single(Lines(error)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_client_option_is_one_line_and_exit_code_2_without_asking_any_agent()
    {
        var (exitCode, _, error) = await Run("cluster", "show", "-o", "yaml");

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal("ipnc: invalid value 'yaml' for --output: expected text or json", Assert.Single(Lines(error)));
    }

    [Fact]
    public async Task Version_prints_the_version()
    {
        var (exitCode, output, _) = await Run("version");

        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.Equal($"ipnc {IpncCli.Version}", output.Trim());
    }

    [Fact]
    public async Task Agent_help_lists_every_setting_with_its_environment_variable()
    {
        var (exitCode, output, _) = await Run("agent", "--help");

        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.Contains("--health-port", output, StringComparison.Ordinal);
        Assert.Contains("IPNC_HEALTH_PORT", output, StringComparison.Ordinal);
        Assert.Contains("--seed", output, StringComparison.Ordinal);
        Assert.Contains("NODE_NAME", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "probe", "--to", "10.1.1.1:80" }, "give the pod's network namespace with exactly one of --netns PATH and --pod-pid PID")]
    [InlineData(new[] { "probe", "--netns", "/run/netns/x", "--pod-pid", "7", "--to", "10.1.1.1:80" }, "give the pod's network namespace with exactly one of --netns PATH and --pod-pid PID")]
    [InlineData(new[] { "probe", "--netns", "/run/netns/x" }, "nothing to check: give --to IP:PORT (outbound), --inbound IP:PORT, or both")]
    [InlineData(new[] { "probe", "--pod-pid", "7", "--to", "10.1.1.1" }, "invalid value '10.1.1.1' for --to: expected IP:PORT such as 10.0.0.7:9080 or [fd00::7]:9080")]
    [InlineData(new[] { "probe", "--pod-pid", "0", "--inbound", "10.1.1.1:80" }, "invalid value '0' for --pod-pid: expected a process id (a whole number from 1)")]
    [InlineData(new[] { "probe", "--pod-pid", "7", "--to", "10.1.1.1:80", "--uid", "-1" }, "invalid value '-1' for --uid: expected a numeric id from 0 to 4294967294")]
    [InlineData(new[] { "probe", "--pod-pid", "7", "--to", "10.1.1.1:80", "--timeout", "soon" }, "invalid value 'soon' for --timeout: expected a duration such as 500ms, 30s, 5m or 1h")]
    public async Task A_probe_usage_error_is_one_line_and_exit_code_2(string[] args, string problem)
    {
        var (exitCode, output, error) = await Run(args);

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Empty(output);
        Assert.Equal($"ipnc: {problem} (see 'ipnc probe --help')", Assert.Single(Lines(error)));
    }

    [Fact]
    public async Task A_probe_of_a_missing_network_namespace_says_it_was_not_checked_and_exits_1()
    {
        var (exitCode, output, _) = await Run("probe", "--netns", "/run/netns/ipnc-test-no-such-netns", "--to", "10.1.1.1:80");

        Assert.Equal(ExitCodes.Failed, exitCode);
        Assert.Equal(
            "outbound to 10.1.1.1:80 as uid 1000 gid 1000: not checked, cannot open network namespace /run/netns/ipnc-test-no-such-netns: No such file or directory",
            Assert.Single(Lines(output)));
    }

    private static async Task<(int ExitCode, string Output, string Error)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await IpncCli.RunAsync(args, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
