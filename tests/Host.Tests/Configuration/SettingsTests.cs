using IstioPodNetwork.Host.Configuration;
using Serilog.Events;

namespace IstioPodNetwork.Host.Tests.Configuration;

public sealed class SettingsTests : IDisposable
{
    private static readonly Dictionary<string, string> NoEnvironment = [];
    private static readonly Dictionary<string, IReadOnlyList<string>> NoFlags = [];
    private readonly string directory = Directory.CreateTempSubdirectory("ipnc-settings-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void The_shipped_HOCON_conf_yields_the_documented_defaults()
    {
        var settings = Build(NoEnvironment, NoFlags);

        Assert.Equal(9110, settings.CommandPort);
        Assert.Equal(9111, settings.HealthPort);
        Assert.Equal(4053, settings.RemotingPort);
        Assert.Equal(LogFormat.Text, settings.LogFormat);
        Assert.Equal(LogEventLevel.Information, settings.LogLevel);
        Assert.Empty(settings.Seeds);
    }

    [Fact]
    public void A_flag_wins_over_the_environment_which_wins_over_the_files()
    {
        var overrides = Write("ipnc { health-port = 7001, command-port = 7002, remoting-port = 7003 }");
        var environment = new Dictionary<string, string> { ["IPNC_HEALTH_PORT"] = "8001", ["IPNC_COMMAND_PORT"] = "8002" };
        var flags = new Dictionary<string, IReadOnlyList<string>> { ["health-port"] = ["9001"] };

        var settings = Build(environment, flags, overrides);

        Assert.Equal(9001, settings.HealthPort);
        Assert.Equal(8002, settings.CommandPort);
        Assert.Equal(7003, settings.RemotingPort);
    }

    [Fact]
    public void Conventional_DaemonSet_variables_fill_their_settings()
    {
        var environment = new Dictionary<string, string> { ["NODE_NAME"] = "node-a", ["POD_IP"] = "10.1.2.3" };

        var settings = Build(environment, NoFlags);

        Assert.Equal("node-a", settings.NodeName);
        Assert.Equal("10.1.2.3", settings.RemotingHost);
    }

    [Fact]
    public void A_repeated_seed_flag_and_a_comma_separated_variable_both_give_a_list()
    {
        var fromFlags = Build(NoEnvironment, new Dictionary<string, IReadOnlyList<string>> { ["seeds"] = ["akka.tcp://ipnc@10.0.0.1:4053", "akka.tcp://ipnc@10.0.0.2:4053"] });
        var fromEnvironment = Build(new Dictionary<string, string> { ["IPNC_SEEDS"] = "akka.tcp://ipnc@10.0.0.1:4053, akka.tcp://ipnc@10.0.0.2:4053" }, NoFlags);

        Assert.Equal(["akka.tcp://ipnc@10.0.0.1:4053", "akka.tcp://ipnc@10.0.0.2:4053"], fromFlags.Seeds.ToArray());
        Assert.Equal(fromFlags.Seeds.ToArray(), fromEnvironment.Seeds.ToArray());
    }

    [Fact]
    public void An_invalid_value_is_reported_with_its_setting_value_source_and_expectation()
    {
        var problem = Assert.Single(Problems(new Dictionary<string, string> { ["IPNC_HEALTH_PORT"] = "eighty" }, NoFlags));

        Assert.Equal("invalid setting health-port: \"eighty\" (from environment variable IPNC_HEALTH_PORT) is not a port number from 0 to 65535", problem);
    }

    [Fact]
    public void An_invalid_value_in_an_override_file_names_that_file()
    {
        var overrides = Write("ipnc.log-format = yaml");

        var problem = Assert.Single(Problems(NoEnvironment, NoFlags, overrides));

        Assert.Equal($"invalid setting log-format: \"yaml\" (from {overrides}, ipnc.log-format) is not one of text, json", problem);
    }

    [Fact]
    public void Every_invalid_setting_is_reported_not_only_the_first()
    {
        var flags = new Dictionary<string, IReadOnlyList<string>> { ["seeds"] = ["not-an-address"], ["remoting-port"] = ["70000"] };

        var problems = Problems(NoEnvironment, flags);

        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("invalid setting remoting-port: \"70000\" (from flag --remoting-port)", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("invalid setting seeds: \"not-an-address\" (from flag --seed) is not an Akka address", StringComparison.Ordinal));
    }

    [Fact]
    public void The_agent_refuses_to_start_without_a_node_name()
    {
        var problem = Assert.Single(Problems(new Dictionary<string, string> { ["NODE_NAME"] = string.Empty }, NoFlags));

        Assert.StartsWith("setting node-name is required", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_backoff_minimum_above_its_maximum_is_refused()
    {
        var flags = new Dictionary<string, IReadOnlyList<string>> { ["backoff-min"] = ["2m"], ["backoff-max"] = ["1m"] };

        var problem = Assert.Single(Problems(NoEnvironment, flags));

        Assert.Equal("setting backoff-min (00:02:00) must not exceed backoff-max (00:01:00)", problem);
    }

    [Fact]
    public void Durations_lists_and_bounds_are_parsed_from_every_source()
    {
        var environment = new Dictionary<string, string> { ["IPNC_EXCLUDED_NAMESPACES"] = "kube-system, platform", ["IPNC_NETNS_WAIT"] = "1.5m" };
        var flags = new Dictionary<string, IReadOnlyList<string>> { ["max-concurrent-programming"] = ["3"], ["netns-retry-interval"] = ["100ms"] };

        var settings = Build(environment, flags);

        Assert.Equal(["kube-system", "platform"], settings.ExcludedNamespaces.ToArray());
        Assert.Equal(TimeSpan.FromSeconds(90), settings.NetnsWait);
        Assert.Equal(TimeSpan.FromMilliseconds(100), settings.NetnsRetryInterval);
        Assert.Equal(3, settings.MaxConcurrentProgramming);
    }

    [Fact]
    public void A_misspelt_key_in_an_override_file_is_an_error_not_ignored()
    {
        var overrides = Write("ipnc { helth-port = 1 }");

        var problem = Assert.Single(Problems(NoEnvironment, NoFlags, overrides));

        Assert.Equal($"unknown setting ipnc.helth-port in {overrides}", problem);
    }

    [Fact]
    public void A_misspelt_IPNC_variable_is_an_error_not_ignored()
    {
        var problem = Assert.Single(Problems(new Dictionary<string, string> { ["IPNC_HELTH_PORT"] = "1" }, NoFlags));

        Assert.Equal("unknown setting in environment variable IPNC_HELTH_PORT", problem);
    }

    [Fact]
    public void A_malformed_override_file_is_one_line_naming_the_file()
    {
        var overrides = Write("ipnc { health-port = ${undefined-substitution} }");

        var error = Assert.Throws<SettingsException>(() => LayeredConfig.Load(LayeredConfig.DefaultBaseFile, overrides));

        var problem = Assert.Single(error.Problems);
        Assert.StartsWith($"configuration file {overrides} is not valid HOCON: ", problem, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', problem);
    }

    [Fact]
    public void A_missing_override_file_is_one_line_naming_the_file()
    {
        var missing = Path.Combine(directory, "absent.conf");

        var error = Assert.Throws<SettingsException>(() => LayeredConfig.Load(LayeredConfig.DefaultBaseFile, missing));

        Assert.StartsWith($"cannot read configuration file {missing}", Assert.Single(error.Problems), StringComparison.Ordinal);
    }

    /// <summary>Settings as the agent builds them; NODE_NAME is set as a DaemonSet sets it unless the test says otherwise.</summary>
    private static AgentSettings Build(
        IReadOnlyDictionary<string, string> environment,
        IReadOnlyDictionary<string, IReadOnlyList<string>> flags,
        string? overrideFile = null)
    {
        var withNode = new Dictionary<string, string>(environment);
        withNode.TryAdd("NODE_NAME", "node-a");
        return SettingValues.Build(LayeredConfig.Load(LayeredConfig.DefaultBaseFile, overrideFile), withNode, flags, AgentSettings.From);
    }

    private static IReadOnlyList<string> Problems(
        IReadOnlyDictionary<string, string> environment,
        IReadOnlyDictionary<string, IReadOnlyList<string>> flags,
        string? overrideFile = null) =>
        Assert.Throws<SettingsException>(() => Build(environment, flags, overrideFile)).Problems;

    private string Write(string hocon)
    {
        var path = Path.Combine(directory, $"{Guid.NewGuid():N}.conf");
        File.WriteAllText(path, hocon);
        return path;
    }
}
