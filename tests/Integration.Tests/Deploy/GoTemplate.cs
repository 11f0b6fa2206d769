using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace IstioPodNetwork.Integration.Tests.Deploy;

/// <summary>What a Helm template's actions see when it is rendered with given values.</summary>
internal sealed record TemplateScope(YamlMappingNode Values, string ReleaseName, string ReleaseNamespace, string ChartName, string ChartVersion, string AppVersion);

/// <summary>
/// Turns a Helm template into plain YAML without helm (there is none on our machines). <see cref="Mask"/>
/// keeps every branch and masks every action: the shape of everything the template can produce.
/// <see cref="Render"/> decides conditions and resolves simple references against values; what it
/// cannot resolve (helper includes) becomes <see cref="Unknown"/>, or nothing for a line of its own.
/// It reads the subset the chart keeps to, and says so when a template leaves it: control actions
/// on lines of their own; conditions on .Values paths with and/or/not; references to .Values,
/// .Release, .Chart and `.` (inside with), appended to, piped through quote, default, uniq and join; standalone
/// <c>toYaml X | nindent N</c>.
/// </summary>
internal static partial class GoTemplate
{
    public const string Unknown = "__TEMPLATED__";

    private static readonly string[] ControlWords = ["if", "with", "range", "else", "end", "define", "block", "template"];

    public static string Mask(string template) => Process(template, scope: null);

    public static string Render(string template, TemplateScope scope) => Process(template, scope);

    /// <summary>Every <c>.Values.a.b</c> path an action mentions.</summary>
    public static IEnumerable<string> ValuePaths(string template) =>
        ValuePath().Matches(template).Select(m => m.Groups["path"].Value);

    private static string Process(string template, TemplateScope? scope)
    {
        var output = new StringBuilder();
        var frames = new Stack<Frame>();
        var lines = template.Split('\n');
        for (var number = 1; number <= lines.Length; number++)
        {
            var line = lines[number - 1];
            var actions = Action().Matches(line);
            if (Action().Replace(line, string.Empty).Contains("{{", StringComparison.Ordinal))
            {
                throw Unsupported(number, "an action spanning lines");
            }

            var emitting = frames.All(f => f.Emitting);
            var context = new Context(scope, frames.Count > 0 ? frames.Peek().Dot : null, number);
            if (actions.Count > 0 && string.IsNullOrWhiteSpace(Action().Replace(line, string.Empty)))
            {
                if (actions.Count > 1)
                {
                    throw Unsupported(number, "several actions on one line");
                }

                Standalone(actions[0].Groups["expr"].Value, frames, emitting, context, output);
                continue;
            }

            if (actions.Any(a => ControlWords.Contains(Words(a.Groups["expr"].Value).FirstOrDefault())))
            {
                throw Unsupported(number, "a control action inside a line of YAML");
            }

            if (emitting)
            {
                output.Append(Action().Replace(line, m => scope is null ? Unknown : Text(Evaluate(m.Groups["expr"].Value, context)) ?? Unknown)).Append('\n');
            }
        }

        return frames.Count == 0 ? output.ToString() : throw new InvalidOperationException($"{frames.Count} action(s) without their {{{{ end }}}}");
    }

    private static void Standalone(string expr, Stack<Frame> frames, bool emitting, Context context, StringBuilder output)
    {
        var words = Words(expr);
        var rest = string.Join(' ', words.Skip(1));
        switch (words.FirstOrDefault())
        {
            case "if":
                frames.Push(new Frame(context.Scope is null || Decide(words[1..], context), context.Dot, context.Dot));
                break;
            case "with":
                var subject = context.Scope is null ? null : Evaluate(rest, context) ?? throw Unsupported(context.Line, $"with {rest}");
                frames.Push(new Frame(context.Scope is null || Truthy(subject), subject, context.Dot));
                break;
            case "range" when context.Scope is null:
                frames.Push(new Frame(true, null, context.Dot));
                break;
            case "else":
                var open = frames.Pop();
                frames.Push(open with { Emitting = context.Scope is null || !open.Emitting, Dot = open.OuterDot });
                break;
            case "end":
                frames.Pop();
                break;
            case var word when word is not null && ControlWords.Contains(word):
                throw Unsupported(context.Line, word);
            case var word when word is not null && word.StartsWith("/*", StringComparison.Ordinal):
                break;
            default:
                // toYaml of a value is known; anything else (a helper include) leaves the key above it empty: unknown.
                if (emitting && context.Scope is not null && Block(expr, context) is var (node, indent))
                {
                    YamlNodes.Write(node, indent, output);
                }

                break;
        }
    }

    private static (YamlNode Node, int Indent)? Block(string expr, Context context)
    {
        var stages = Stages(expr);
        if (stages.Length == 2 && stages[0] is ["toYaml", var subject] && stages[1] is [("nindent" or "indent"), var width] && Operand(subject, context) is { } node)
        {
            return (node, int.Parse(width, System.Globalization.CultureInfo.InvariantCulture));
        }

        return null;
    }

    /// <summary>An expression's value: a scalar, a list or a mapping from the values, or null when unknown.</summary>
    private static YamlNode? Evaluate(string expr, Context context)
    {
        var stages = Stages(expr);
        var value = stages[0] switch
        {
            [var single] => Operand(single, context),
            ["join", var separator, var list] => Join(Operand(list, context), Literal(separator)),
            ["append", var list, var item] => Operand(list, context) is YamlSequenceNode sequence && Operand(item, context) is { } last
                ? new YamlSequenceNode([.. sequence.Children, last])
                : null,
            _ => null,
        };
        foreach (var stage in stages.Skip(1))
        {
            value = stage switch
            {
                ["quote"] => Text(value) is { } text ? new YamlScalarNode("\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"") : null,
                ["default", var fallback] => value is null ? null : Truthy(value) ? value : Operand(fallback, context),
                ["join", var separator] => Join(value, Literal(separator)),
                ["uniq"] => value is YamlSequenceNode sequence ? new YamlSequenceNode(sequence.Children.DistinctBy(Text)) : null,
                _ => null,
            };
        }

        return value;
    }

    private static YamlNode? Operand(string word, Context context)
    {
        var scope = context.Scope!;
        if (word.StartsWith('"'))
        {
            return new YamlScalarNode(Literal(word));
        }

        if (word == ".")
        {
            return context.Dot;
        }

        if (word.StartsWith(".Values.", StringComparison.Ordinal))
        {
            YamlNode node = scope.Values;
            foreach (var key in word[".Values.".Length..].Split('.'))
            {
                node = node is YamlMappingNode mapping && mapping.Children.TryGetValue(new YamlScalarNode(key), out var child)
                    ? child
                    : throw new InvalidOperationException($"line {context.Line}: {word} is not in values.yaml");
            }

            return node;
        }

        return word switch
        {
            ".Release.Name" => new YamlScalarNode(scope.ReleaseName),
            ".Release.Namespace" => new YamlScalarNode(scope.ReleaseNamespace),
            ".Chart.Name" => new YamlScalarNode(scope.ChartName),
            ".Chart.Version" => new YamlScalarNode(scope.ChartVersion),
            ".Chart.AppVersion" => new YamlScalarNode(scope.AppVersion),
            _ => null,
        };
    }

    private static bool Decide(string[] condition, Context context)
    {
        bool Operands(IEnumerable<string> words, Func<IEnumerable<bool>, bool> combine) =>
            combine(words.Select(w => Truthy(Operand(w, context) ?? throw Unsupported(context.Line, $"a condition on {w}"))).ToList());

        return condition switch
        {
            ["not", var single] => !Operands([single], all => all.Single()),
            ["and", .. var all] => Operands(all, values => values.All(v => v)),
            ["or", .. var any] => Operands(any, values => values.Any(v => v)),
            [var single] => Operands([single], values => values.Single()),
            _ => throw Unsupported(context.Line, "the condition " + string.Join(' ', condition)),
        };
    }

    private static YamlScalarNode? Join(YamlNode? list, string separator) =>
        list is YamlSequenceNode sequence ? new YamlScalarNode(string.Join(separator, sequence.Children.Select(Text))) : null;

    /// <summary>Go's truth: false, 0, empty strings and empty collections are false.</summary>
    private static bool Truthy(YamlNode? node) => node switch
    {
        YamlScalarNode scalar => scalar.Value is { Length: > 0 } value && value is not ("false" or "0" or "null" or "~"),
        YamlSequenceNode sequence => sequence.Children.Count > 0,
        YamlMappingNode mapping => mapping.Children.Count > 0,
        _ => false,
    };

    private static string? Text(YamlNode? node) => (node as YamlScalarNode)?.Value;

    private static string Literal(string quoted) => quoted.Length >= 2 && quoted[0] == '"' && quoted[^1] == '"'
        ? Regex.Unescape(quoted[1..^1])
        : throw new InvalidOperationException($"expected a string literal, not {quoted}");

    private static string[][] Stages(string expr) => [.. expr.Split('|').Select(Words)];

    private static string[] Words(string text) => [.. Word().Matches(text).Select(m => m.Value)];

    private static NotSupportedException Unsupported(int line, string what) =>
        new($"line {line}: {what} is beyond what the chart tests read; keep templates to the subset GoTemplate describes");

    [GeneratedRegex(@"\{\{-?\s*(?<expr>.*?)\s*-?\}\}")]
    private static partial Regex Action();

    [GeneratedRegex(@"""(?:[^""\\]|\\.)*""|[^\s]+")]
    private static partial Regex Word();

    [GeneratedRegex(@"\.Values\.(?<path>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)")]
    private static partial Regex ValuePath();

    /// <summary>An open if/with/range: whether its content is emitted, what `.` is inside it and outside it.</summary>
    private sealed record Frame(bool Emitting, YamlNode? Dot, YamlNode? OuterDot);

    private sealed record Context(TemplateScope? Scope, YamlNode? Dot, int Line);
}
