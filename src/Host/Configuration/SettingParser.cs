using System.Collections.Immutable;
using System.Globalization;
using System.Net;

namespace IstioPodNetwork.Host.Configuration;

/// <summary>The outcome of parsing a setting's text: a value, or what was expected instead.</summary>
public readonly record struct Parsed<T>(T? Value, string? Expected);

public static class Parsed
{
    public static Parsed<T> Ok<T>(T value) => new(value, null);

    public static Parsed<T> Fail<T>(string expected) => new(default, expected);
}

/// <summary>Turns a setting's raw text (from HOCON, the environment or a flag) into a typed value.</summary>
public sealed record SettingParser<T>(Func<string, Parsed<T>> Parse);

public static class SettingParsers
{
    public static SettingParser<string> Text { get; } = new(raw => Parsed.Ok<string>(raw.Trim()));

    public static SettingParser<int> Port { get; } = new(raw =>
        int.TryParse(raw.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 0 and <= 65535
            ? Parsed.Ok<int>(port)
            : Parsed.Fail<int>("a port number from 0 to 65535"));

    public static SettingParser<int> IntegerAtLeast(int minimum) => new(raw =>
        int.TryParse(raw.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= minimum
            ? Parsed.Ok(value)
            : Parsed.Fail<int>($"a whole number of at least {minimum}"));

    /// <summary>A DNS-1123 label, as namespace names are.</summary>
    public static SettingParser<string> KubernetesName { get; } = new(raw =>
    {
        var name = raw.Trim();
        return name.Length is > 0 and <= 63 && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-') && name[0] != '-' && name[^1] != '-'
            ? Parsed.Ok(name)
            : Parsed.Fail<string>("a Kubernetes name (lower-case letters, digits and '-', at most 63)");
    });

    public static SettingParser<IPAddress> Address { get; } = new(raw =>
        IPAddress.TryParse(raw.Trim(), out var address)
            ? Parsed.Ok<IPAddress>(address)
            : Parsed.Fail<IPAddress>("an IPv4 or IPv6 address"));

    public static SettingParser<string> HostName { get; } = new(raw =>
    {
        var host = raw.Trim();
        return host.Length > 0 && Uri.CheckHostName(host) != UriHostNameType.Unknown
            ? Parsed.Ok<string>(host)
            : Parsed.Fail<string>("a host name or IP address");
    });

    /// <summary>One of an enum's names, written in kebab case (PerNode is "per-node"), any letter case.</summary>
    public static SettingParser<TEnum> OneOf<TEnum>()
        where TEnum : struct, Enum
    {
        var names = string.Join(", ", Enum.GetNames<TEnum>().Select(Kebab));
        return new(raw =>
            Enum.GetValues<TEnum>().FirstOrDefault(v => string.Equals(Kebab(v.ToString()), raw.Trim(), StringComparison.OrdinalIgnoreCase)) is var value
            && string.Equals(Kebab(value.ToString()), raw.Trim(), StringComparison.OrdinalIgnoreCase)
                ? Parsed.Ok(value)
                : Parsed.Fail<TEnum>($"one of {names}"));
    }

    private static string Kebab(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    /// <summary>A comma-separated list (HOCON arrays arrive joined the same way) of items each parsed by <paramref name="item"/>.</summary>
    public static SettingParser<ImmutableArray<TItem>> ListOf<TItem>(SettingParser<TItem> item) => new(raw =>
    {
        var items = ImmutableArray.CreateBuilder<TItem>();
        var parts = raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var part in parts)
        {
            var parsed = item.Parse(part);
            if (parsed.Expected is not null)
            {
                return Parsed.Fail<ImmutableArray<TItem>>(parts.Length == 1
                    ? parsed.Expected
                    : $"a comma-separated list whose items are each {parsed.Expected} (\"{part}\" is not)");
            }

            items.Add(parsed.Value!);
        }

        return Parsed.Ok<ImmutableArray<TItem>>(items.ToImmutable());
    });

    /// <summary>A duration: "300ms", "30s", "5m", "1h", or a plain number of seconds.</summary>
    public static SettingParser<TimeSpan> Duration { get; } = new(raw =>
    {
        var text = raw.Trim();
        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60.0)
            : text.EndsWith('h') ? (text[..^1], 3600.0)
            : (text, 1.0);
        return double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) && value >= 0 && value * unit < TimeSpan.MaxValue.TotalSeconds
            ? Parsed.Ok(TimeSpan.FromSeconds(value * unit))
            : Parsed.Fail<TimeSpan>("a duration such as 500ms, 30s, 5m or 1h");
    });

    public static SettingParser<string> AkkaAddress { get; } = new(raw =>
    {
        var text = raw.Trim();
        return Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme == "akka.tcp" && uri.UserInfo.Length > 0 && uri.Port > 0
            ? Parsed.Ok<string>(text)
            : Parsed.Fail<string>("an Akka address such as akka.tcp://ipnc@10.0.0.5:4053");
    });
}
