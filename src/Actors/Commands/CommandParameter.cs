using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Akka.Actor;

namespace IstioPodNetwork.Actors.Commands;

public delegate bool TryParseValue<T>(string text, [MaybeNullWhen(false)] out T value);

/// <summary>Turns an argument's text into a typed value; <see cref="Expected"/> says what a valid one looks like.</summary>
public sealed record ValueParser<T>(string Expected, TryParseValue<T> TryParse);

/// <summary>A pod named on the command line as NAMESPACE/NAME.</summary>
public sealed record PodName(string Namespace, string Name)
{
    public override string ToString() => $"{Namespace}/{Name}";
}

public static class ValueParsers
{
    public static ValueParser<int> Count(int max) => new(
        $"a whole number from 1 to {max}",
        (string text, out int value) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= 1 && value <= max);

    /// <summary>A filter value: any non-empty word (names are matched exactly, so no further rule applies).</summary>
    public static ValueParser<string?> Word { get; } = new(
        "a non-empty word",
        (string text, [MaybeNullWhen(false)] out string? value) =>
        {
            value = text;
            return text.Length > 0 && !text.Any(char.IsWhiteSpace);
        });

    /// <summary>One of an enum's names, ignoring case; null when the option is not given.</summary>
    public static ValueParser<TEnum?> OneOf<TEnum>()
        where TEnum : struct, Enum => new(
        "one of " + string.Join(", ", Enum.GetNames<TEnum>()),
        (string text, out TEnum? value) =>
        {
            value = Enum.TryParse<TEnum>(text, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !char.IsAsciiDigit(text[0]) ? parsed : null;
            return value is not null;
        });

    public static ValueParser<PodName> Pod { get; } = new(
        "NAMESPACE/NAME, such as default/web-0",
        (string text, [MaybeNullWhen(false)] out PodName value) =>
        {
            var parts = text.Split('/');
            value = parts.Length == 2 && parts.All(p => p.Length > 0 && !p.Any(char.IsWhiteSpace)) ? new PodName(parts[0], parts[1]) : null;
            return value is not null;
        });

    public static ValueParser<Address> MemberAddress { get; } = new(
        "a member's address such as akka.tcp://ipnc@10.0.0.5:4053",
        (string text, [MaybeNullWhen(false)] out Address value) =>
        {
            value = Address.TryParse(text, out var parsed) && parsed.Host is not null && parsed.Port is > 0 ? parsed : null;
            return value is not null;
        });
}

/// <summary>
/// One argument of a command: positional when it has no switches (then it is
/// required, unless it takes the rest of the words), else an option with a value
/// and a default.
/// </summary>
public abstract class CommandParameter
{
    private protected CommandParameter(string valueName, string description, ImmutableArray<string> switches, bool takesRest)
    {
        ValueName = valueName;
        Description = description;
        Switches = switches;
        TakesRest = takesRest;
    }

    /// <summary>How usage lines show the value: N, NS/NAME, ADDRESS.</summary>
    public string ValueName { get; }

    public string Description { get; }

    /// <summary>The option's spellings, short first (-d, --depth); empty for a positional argument.</summary>
    public ImmutableArray<string> Switches { get; }

    public bool IsPositional => Switches.IsEmpty;

    /// <summary>A positional argument that collects every remaining word (zero or more).</summary>
    public bool TakesRest { get; }

    /// <summary>The option's default as text, for help; null when there is none to show.</summary>
    public abstract string? DefaultText { get; }

    /// <summary>How a usage line shows it: NS/NAME, [-d N], [COMMAND...].</summary>
    public string Usage => (IsPositional, TakesRest) switch
    {
        (true, false) => ValueName,
        (true, true) => $"[{ValueName}...]",
        _ => $"[{Switches[0]} {ValueName}]",
    };

    /// <summary>How error messages name it: --state, or the value name of a positional argument.</summary>
    public string Label => IsPositional ? ValueName : Switches[^1];

    internal abstract object? Parse(IReadOnlyList<string> words);
}

public sealed class CommandParameter<T> : CommandParameter
{
    private readonly ValueParser<T>? parser;
    private readonly T defaultValue;

    /// <param name="parser">Null for a positional argument that takes the rest of the words (then T is an array of them).</param>
    internal CommandParameter(string valueName, string description, ImmutableArray<string> switches, ValueParser<T>? parser, T defaultValue)
        : base(valueName, description, switches, takesRest: parser is null)
    {
        this.parser = parser;
        this.defaultValue = defaultValue;
    }

    public override string? DefaultText => IsPositional || defaultValue is null ? null : Convert.ToString(defaultValue, CultureInfo.InvariantCulture);

    internal override object? Parse(IReadOnlyList<string> words)
    {
        if (parser is null)
        {
            return words.ToImmutableArray();
        }

        var text = words[0];
        return parser.TryParse(text, out var value)
            ? value
            : throw new CommandUsageException($"invalid value '{text}' for {Label}: expected {parser.Expected}");
    }

    /// <summary>The value the parser stored for this parameter, or its default.</summary>
    internal T From(IReadOnlyDictionary<CommandParameter, object?> values) =>
        values.TryGetValue(this, out var value) ? (T)value! : defaultValue;
}

public static class CommandParameters
{
    /// <summary>A required positional argument.</summary>
    public static CommandParameter<T> Argument<T>(string valueName, string description, ValueParser<T> parser) =>
        new(valueName, description, [], parser, default!);

    /// <summary>An option: <paramref name="switches"/> such as "-d|--depth", then a value; <paramref name="defaultValue"/> when not given.</summary>
    public static CommandParameter<T> Option<T>(string switches, string valueName, string description, ValueParser<T> parser, T defaultValue) =>
        new(valueName, description, [.. switches.Split('|')], parser, defaultValue);

    /// <summary>A positional argument that takes every remaining word, e.g. `help cluster show`.</summary>
    public static CommandParameter<ImmutableArray<string>> Rest(string valueName, string description) =>
        new(valueName, description, [], null, []);
}

/// <summary>The typed values of one invocation's arguments.</summary>
public sealed class CommandArguments(IReadOnlyDictionary<CommandParameter, object?> values)
{
    public static CommandArguments None { get; } = new(new Dictionary<CommandParameter, object?>());

    public T Get<T>(CommandParameter<T> parameter) => parameter.From(values);
}

/// <summary>The command line is wrong: nothing was done (exit code 2 at the client).</summary>
public sealed class CommandUsageException(string message) : Exception(message);

/// <summary>The command ran and could not do what was asked (exit code 1 at the client).</summary>
public sealed class CommandFailedException(string message) : Exception(message);
