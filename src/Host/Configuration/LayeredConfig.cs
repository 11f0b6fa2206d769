using Akka.Configuration;

namespace IstioPodNetwork.Host.Configuration;

/// <summary>HOCON.conf with an optional operator file layered over it; remembers which file a key came from.</summary>
public sealed class LayeredConfig
{
    public const string FileName = "HOCON.conf";

    private readonly Config overrides;

    private LayeredConfig(Config baseConfig, string baseFile, Config overrides, string? overrideFile)
    {
        this.overrides = overrides;
        BaseFile = baseFile;
        OverrideFile = overrideFile;
        Config = overrideFile is null ? baseConfig : overrides.WithFallback(baseConfig);
    }

    public Config Config { get; }

    public string BaseFile { get; }

    public string? OverrideFile { get; }

    public static string DefaultBaseFile => Path.Combine(AppContext.BaseDirectory, FileName);

    /// <summary>Reads both files; a missing or malformed file is a <see cref="SettingsException"/> with one line.</summary>
    public static LayeredConfig Load(string baseFile, string? overrideFile)
    {
        var baseConfig = Parse(baseFile);
        return overrideFile is null
            ? new LayeredConfig(baseConfig, baseFile, ConfigurationFactory.Empty, null)
            : new LayeredConfig(baseConfig, baseFile, Parse(overrideFile), overrideFile);
    }

    /// <summary>Where the value at <paramref name="path"/> comes from, for error messages.</summary>
    public string OriginOf(string path) =>
        OverrideFile is not null && overrides.HasPath(path) ? OverrideFile : BaseFile;

    private static Config Parse(string file)
    {
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SettingsException([$"cannot read configuration file {file}: {e.Message}"]);
        }

        try
        {
            return ConfigurationFactory.ParseString(text);
        }
        catch (Exception e)
        {
            var reason = e.Message.Split('\n', 2)[0].Trim();
            throw new SettingsException([$"configuration file {file} is not valid HOCON: {reason}"]);
        }
    }
}
