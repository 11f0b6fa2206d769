using System.Collections;
using Akka.Configuration;

namespace IstioPodNetwork.Host.Configuration;

/// <summary>
/// Resolves each setting's raw text from its three sources (flag over environment
/// over configuration file), parses it, and collects every problem so the caller
/// can report them all at once.
/// </summary>
public sealed class SettingValues
{
    private const string EnvironmentPrefix = "IPNC_";

    /// <summary>Environment variables with our prefix that are not settings.</summary>
    private static readonly HashSet<string> NonSettingEnvironment = ["IPNC_CONFIG"];

    private readonly LayeredConfig config;
    private readonly IReadOnlyDictionary<string, string> environment;
    private readonly IReadOnlyDictionary<string, IReadOnlyList<string>> flags;
    private readonly List<string> problems = [];

    private SettingValues(
        LayeredConfig config,
        IReadOnlyDictionary<string, string> environment,
        IReadOnlyDictionary<string, IReadOnlyList<string>> flags)
    {
        this.config = config;
        this.environment = environment;
        this.flags = flags;
    }

    /// <summary>
    /// Builds typed settings with <paramref name="build"/>; throws a <see cref="SettingsException"/>
    /// listing every unknown or invalid setting.
    /// </summary>
    /// <param name="flags">Flag values by setting key, only for flags given on the command line.</param>
    public static T Build<T>(
        LayeredConfig config,
        IReadOnlyDictionary<string, string> environment,
        IReadOnlyDictionary<string, IReadOnlyList<string>> flags,
        Func<SettingValues, T> build)
    {
        var values = new SettingValues(config, environment, flags);
        values.CheckForUnknownNames();
        var result = build(values);
        return values.problems.Count == 0 ? result : throw new SettingsException(values.problems);
    }

    /// <summary>
    /// One setting as the agent here would see it (environment over configuration
    /// files), for a tool that needs only that one; unlike <see cref="Build{T}"/> it
    /// does not check the other names. Throws a <see cref="SettingsException"/> when invalid.
    /// </summary>
    public static T Resolve<T>(LayeredConfig config, IReadOnlyDictionary<string, string> environment, Setting<T> setting)
    {
        var values = new SettingValues(config, environment, new Dictionary<string, IReadOnlyList<string>>());
        var value = values.Get(setting);
        return values.problems.Count == 0 ? value : throw new SettingsException(values.problems);
    }

    public static IReadOnlyDictionary<string, string> ProcessEnvironment()
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            variables[(string)entry.Key] = (string?)entry.Value ?? string.Empty;
        }

        return variables;
    }

    /// <summary>Records <paramref name="problem"/> unless <paramref name="condition"/> holds (checks that span settings).</summary>
    public void Require(bool condition, string problem)
    {
        if (!condition && problems.Count == 0)
        {
            problems.Add(problem);
        }
    }

    public T Get<T>(Setting<T> setting)
    {
        var (raw, origin) = RawValue(setting);
        if (raw is null)
        {
            problems.Add($"setting {setting.Key} has no value: {config.BaseFile} lacks {setting.HoconPath}");
            return default!;
        }

        var parsed = setting.Parser.Parse(raw);
        if (parsed.Expected is null)
        {
            return parsed.Value!;
        }

        problems.Add($"invalid setting {setting.Key}: \"{OneLine(raw)}\" (from {origin}) is not {parsed.Expected}");
        return default!;
    }

    private (string? Raw, string Origin) RawValue(Setting setting)
    {
        if (flags.TryGetValue(setting.Key, out var flagValues))
        {
            return (string.Join(",", flagValues), "flag " + (setting.IsList ? "--" + Singular(setting.Key) : setting.FlagName));
        }

        foreach (var name in setting.EnvironmentNames)
        {
            if (environment.TryGetValue(name, out var value) && value.Length > 0)
            {
                return (value, "environment variable " + name);
            }
        }

        return (HoconText(config.Config, setting.HoconPath), $"{config.OriginOf(setting.HoconPath)}, {setting.HoconPath}");
    }

    private static string OneLine(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    /// <summary>The flag of a list setting names one item: --seed for seeds.</summary>
    public static string Singular(string key) => key.EndsWith('s') ? key[..^1] : key;

    private static string? HoconText(Config hocon, string path)
    {
        var value = hocon.GetValue(path);
        if (value is null)
        {
            return null;
        }

        if (value.IsString())
        {
            return value.GetString();
        }

        if (value.IsObject())
        {
            return value.ToString();
        }

        // Arrays (the empty one included, which HOCON reports as neither array nor string) arrive comma-joined.
        try
        {
            return string.Join(",", hocon.GetStringList(path));
        }
        catch (Exception e) when (e is ConfigurationException or InvalidOperationException or InvalidCastException)
        {
            return value.ToString();
        }
    }

    private void CheckForUnknownNames()
    {
        var keys = SettingsCatalog.All.Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        if (config.Config.HasPath("ipnc"))
        {
            foreach (var key in config.Config.GetConfig("ipnc").AsEnumerable().Select(pair => pair.Key))
            {
                if (!keys.Contains(key))
                {
                    problems.Add($"unknown setting ipnc.{key} in {config.OriginOf("ipnc." + key)}");
                }
            }
        }

        var environmentNames = SettingsCatalog.All.SelectMany(s => s.EnvironmentNames).ToHashSet(StringComparer.Ordinal);
        foreach (var name in environment.Keys.Where(n => n.StartsWith(EnvironmentPrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            if (!environmentNames.Contains(name) && !NonSettingEnvironment.Contains(name))
            {
                problems.Add($"unknown setting in environment variable {name}");
            }
        }
    }
}
