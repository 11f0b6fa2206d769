namespace IstioPodNetwork.Host.Configuration;

/// <summary>How an agent finds the others when no seeds are given.</summary>
public sealed record ClusterFormationSettings(
    Discovery Discovery,
    string Selector,
    string Namespace,
    int ManagementPort,
    int RequiredContactPoints)
{
    public static ClusterFormationSettings From(SettingValues values) => new(
        values.Get(SettingsCatalog.Discovery),
        values.Get(SettingsCatalog.DiscoverySelector),
        values.Get(SettingsCatalog.DiscoveryNamespace),
        values.Get(SettingsCatalog.ManagementPort),
        values.Get(SettingsCatalog.RequiredContactPoints));
}
