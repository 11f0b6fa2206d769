using System.Collections.Specialized;
using System.Configuration.Internal;
using System.Runtime.CompilerServices;

namespace IstioPodNetwork.Host.Agent;

/// <summary>
/// An empty .NET configuration system (app.config) for the agent's process. Akka's ActorSystem.Create
/// always reads an `akka` section from app.config, even when given its configuration, and the first read
/// sets up System.Configuration's client configuration: the built-in machine.config parsed as XML, ~270
/// methods compiled and ~2.4 MiB resident for good (an idle agent, measured back to back). The agent's configuration is HOCON.conf,
/// the environment and its flags; app.config was never one of its sources, so nothing is read from it.
/// </summary>
internal sealed class NoAppConfig : IInternalConfigSystem
{
    private NoAppConfig()
    {
    }

    public bool SupportsUserConfig => false;

    /// <summary>Installs the empty configuration system; throws if app.config has already been read in this process.</summary>
    public static void Install() => SetConfigurationSystem(null, new NoAppConfig(), initComplete: true);

    /// <summary>No section exists; appSettings is empty rather than missing, as with an app.config that has none.</summary>
    public object? GetSection(string configKey) => configKey == "appSettings" ? new NameValueCollection() : null;

    public void RefreshConfig(string sectionName)
    {
    }

    /// <summary>
    /// System.Configuration's way to replace its configuration system is internal. A
    /// System.Configuration.ConfigurationManager without it fails every agent test at start (MissingMethodException), not silently.
    /// </summary>
    [UnsafeAccessor(UnsafeAccessorKind.StaticMethod, Name = "SetConfigurationSystem")]
    private static extern void SetConfigurationSystem(
        [UnsafeAccessorType("System.Configuration.ConfigurationManager, System.Configuration.ConfigurationManager")] object? manager,
        IInternalConfigSystem configSystem,
        bool initComplete);
}
