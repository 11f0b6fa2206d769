using System.Collections.Immutable;
using System.Net;
using Serilog.Events;

namespace IstioPodNetwork.Host.Configuration;

/// <summary>The agent's settings, parsed and validated once at start-up.</summary>
public sealed record AgentSettings(
    string NodeName,
    string Kubeconfig,
    LogFormat LogFormat,
    LogEventLevel LogLevel,
    IPAddress HealthHost,
    int HealthPort,
    int CommandPort,
    string RemotingHost,
    int RemotingPort,
    ImmutableArray<string> Seeds,
    ClusterFormationSettings Formation,
    NamespaceWatch NamespaceWatch,
    ImmutableArray<string> ExcludedNamespaces,
    int MaxConcurrentProgramming,
    TimeSpan NetnsWait,
    TimeSpan NetnsRetryInterval,
    TimeSpan BackoffMin,
    TimeSpan BackoffMax,
    int MaxRetries,
    CaptureSettings Capture)
{
    public static AgentSettings From(SettingValues values)
    {
        var settings = Read(values);
        values.Require(settings.NodeName.Length > 0, $"setting node-name is required: the agent serves one node (--node-name or NODE_NAME, from spec.nodeName in a DaemonSet)");
        values.Require(settings.BackoffMin <= settings.BackoffMax, $"setting backoff-min ({settings.BackoffMin}) must not exceed backoff-max ({settings.BackoffMax})");
        return settings;
    }

    private static AgentSettings Read(SettingValues values) => new(
        values.Get(SettingsCatalog.NodeName),
        values.Get(SettingsCatalog.Kubeconfig),
        values.Get(SettingsCatalog.LogFormat),
        values.Get(SettingsCatalog.LogLevel),
        values.Get(SettingsCatalog.HealthHost),
        values.Get(SettingsCatalog.HealthPort),
        values.Get(SettingsCatalog.CommandPort),
        values.Get(SettingsCatalog.RemotingHost),
        values.Get(SettingsCatalog.RemotingPort),
        values.Get(SettingsCatalog.Seeds),
        ClusterFormationSettings.From(values),
        values.Get(SettingsCatalog.NamespaceWatch),
        values.Get(SettingsCatalog.ExcludedNamespaces),
        values.Get(SettingsCatalog.MaxConcurrentProgramming),
        values.Get(SettingsCatalog.NetnsWait),
        values.Get(SettingsCatalog.NetnsRetryInterval),
        values.Get(SettingsCatalog.BackoffMin),
        values.Get(SettingsCatalog.BackoffMax),
        values.Get(SettingsCatalog.MaxRetries),
        CaptureSettings.From(values));
}
