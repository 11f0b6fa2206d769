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

    private static async Task<(int ExitCode, string Output, string Error)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await IpncCli.RunAsync(args, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
