using System.Collections.Immutable;
using System.Globalization;
using IstioPodNetwork.Capture.Programming;
using IstioPodNetwork.Capture.Spec;

namespace IstioPodNetwork.Host.Configuration;

/// <summary>The node-level traffic capture settings: the defaults every pod's spec starts from, where /proc is, which iptables.</summary>
public sealed record CaptureSettings(CaptureDefaults Defaults, string ProcRoot, IptablesBackendChoice IptablesBackend)
{
    public static CaptureSettings From(SettingValues values) => new(
        new CaptureDefaults(
            values.Get(SettingsCatalog.CaptureOutboundPort),
            values.Get(SettingsCatalog.CaptureInboundPort),
            values.Get(SettingsCatalog.CaptureTunnelPort),
            values.Get(SettingsCatalog.CaptureExcludedInboundPorts),
            values.Get(SettingsCatalog.CaptureExcludedOutboundPorts)),
        values.Get(SettingsCatalog.ProcRoot),
        values.Get(SettingsCatalog.IptablesBackend));

    /// <summary>A port a proxy listens on: 1 to 65535.</summary>
    public static SettingParser<ushort> ListenPort { get; } = new(raw =>
        ushort.TryParse(raw.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port > 0
            ? Parsed.Ok(port)
            : Parsed.Fail<ushort>("a port number from 1 to 65535"));

    public static SettingParser<ushort> AnyPort { get; } = new(raw =>
        ushort.TryParse(raw.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            ? Parsed.Ok(port)
            : Parsed.Fail<ushort>("a port number from 0 to 65535"));

    public static SettingParser<string> AbsolutePath { get; } = new(raw =>
        raw.Trim() is { Length: > 0 } path && Path.IsPathRooted(path)
            ? Parsed.Ok(path.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : "/")
            : Parsed.Fail<string>("an absolute path"));

    public static SettingParser<ImmutableArray<ushort>> PortList { get; } = SettingParsers.ListOf(AnyPort);
}
