namespace IstioPodNetwork.Host.Configuration;

/// <summary>
/// One controller setting: where it lives in HOCON.conf (<c>ipnc.&lt;key&gt;</c>),
/// its environment variable(s), its flag, and how its text becomes a typed value.
/// </summary>
public abstract class Setting(string key, string description, IReadOnlyList<string> extraEnvironmentNames)
{
    public string Key { get; } = key;

    public string Description { get; } = description;

    public string HoconPath => "ipnc." + Key;

    public string FlagName => "--" + Key;

    /// <summary>IPNC_&lt;KEY&gt; first, then conventional names such as NODE_NAME.</summary>
    public IReadOnlyList<string> EnvironmentNames { get; } =
        ["IPNC_" + key.ToUpperInvariant().Replace('-', '_'), .. extraEnvironmentNames];

    /// <summary>True when the flag may be given several times (list settings).</summary>
    public abstract bool IsList { get; }

    /// <summary>Checks a raw value; null when valid, else what was expected.</summary>
    public abstract string? Check(string raw);
}

public sealed class Setting<T>(
    string key,
    string description,
    SettingParser<T> parser,
    params string[] extraEnvironmentNames) : Setting(key, description, extraEnvironmentNames)
{
    public override bool IsList => typeof(T) != typeof(string) && typeof(T).IsAssignableTo(typeof(System.Collections.IEnumerable));

    public SettingParser<T> Parser { get; } = parser;

    public override string? Check(string raw) => Parser.Parse(raw).Expected;
}
