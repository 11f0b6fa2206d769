using System.Collections.Immutable;
using System.Net;
using Serilog.Events;

namespace IstioPodNetwork.Host.Configuration;

public enum LogFormat
{
    Text,
    Json,
}

/// <summary>Every controller setting, in the order `ipnc agent --help` shows them.</summary>
public static class SettingsCatalog
{
    public static readonly Setting<string> NodeName = new(
        "node-name", "Name of the node this agent serves (spec.nodeName of its pods).", SettingParsers.Text, "NODE_NAME");

    public static readonly Setting<string> Kubeconfig = new(
        "kubeconfig", "Kubeconfig file; empty means in-cluster configuration.", SettingParsers.Text, "KUBECONFIG");

    public static readonly Setting<LogFormat> LogFormat = new(
        "log-format", "Log output: text (readable) or json (one object per line).", SettingParsers.OneOf<LogFormat>());

    public static readonly Setting<LogEventLevel> LogLevel = new(
        "log-level", "Minimum log level.", SettingParsers.OneOf<LogEventLevel>());

    public static readonly Setting<IPAddress> HealthHost = new(
        "health-host", "Address of the /healthz, /readyz and /metrics endpoint.", SettingParsers.Address);

    public static readonly Setting<int> HealthPort = new(
        "health-port", "Port of the /healthz, /readyz and /metrics endpoint.", SettingParsers.Port);

    public static readonly Setting<int> CommandPort = new(
        "command-port", "Port of the operator command endpoint (127.0.0.1 only).", SettingParsers.Port);

    public static readonly Setting<string> RemotingHost = new(
        "remoting-host", "Address other agents reach this one on (the pod IP in a DaemonSet).", SettingParsers.HostName, "POD_IP");

    public static readonly Setting<int> RemotingPort = new(
        "remoting-port", "Akka remoting port (0 picks a free one).", SettingParsers.Port);

    public static readonly Setting<ImmutableArray<string>> Seeds = new(
        "seeds", "Akka addresses of seed agents; empty joins itself. The flag is --seed, repeatable.", SettingParsers.ListOf(SettingParsers.AkkaAddress));

    public static ImmutableArray<Setting> All { get; } =
    [
        NodeName, Kubeconfig, LogFormat, LogLevel, HealthHost, HealthPort, CommandPort, RemotingHost, RemotingPort, Seeds,
    ];
}
