namespace IstioPodNetwork.KubeSim.Store;

/// <summary>A parsed labelSelector plus fieldSelector; both must match.</summary>
internal sealed class Selector
{
    public static readonly Selector Everything = new([], []);

    private readonly LabelRequirement[] labels;
    private readonly FieldRequirement[] fields;

    private Selector(LabelRequirement[] labels, FieldRequirement[] fields)
    {
        this.labels = labels;
        this.fields = fields;
    }

    public bool IsEverything => labels.Length == 0 && fields.Length == 0;

    /// <summary>Parses both selectors for <paramref name="type"/>; a bad one is a 400 naming it.</summary>
    public static Selector Parse(ResourceType type, string? labelSelector, string? fieldSelector)
    {
        var labelRequirements = string.IsNullOrWhiteSpace(labelSelector) ? [] : ParseLabels(labelSelector);
        var fieldRequirements = string.IsNullOrWhiteSpace(fieldSelector) ? [] : ParseFields(type, fieldSelector);
        return labelRequirements.Length == 0 && fieldRequirements.Length == 0
            ? Everything
            : new Selector(labelRequirements, fieldRequirements);
    }

    public bool Matches(StoredObject obj)
    {
        foreach (var requirement in labels)
        {
            if (!requirement.Matches(obj.Labels))
            {
                return false;
            }
        }

        foreach (var requirement in fields)
        {
            if ((obj.Field(requirement.Field) == requirement.Value) != requirement.Equal)
            {
                return false;
            }
        }

        return true;
    }

    private static FieldRequirement[] ParseFields(ResourceType type, string text)
    {
        var result = new List<FieldRequirement>();
        foreach (var term in SplitTop(text))
        {
            var (field, op, value) = SplitOperator(term, ["!=", "==", "="])
                ?? throw ApiException.BadRequest($"invalid selector: '{text}'; can't understand '{term}'");
            if (field == "spec.host" && type == ResourceCatalog.Pods)
            {
                field = "spec.nodeName";
            }

            if (field is not ("metadata.name" or "metadata.namespace") && type.FieldIndex(field) < 0)
            {
                throw ApiException.BadRequest($"field label not supported: {field}");
            }

            result.Add(new FieldRequirement(field, value, op != "!="));
        }

        return [.. result];
    }

    private static LabelRequirement[] ParseLabels(string text)
    {
        var result = new List<LabelRequirement>();
        foreach (var raw in SplitTop(text))
        {
            var term = raw.Trim();
            if (term.StartsWith('!'))
            {
                result.Add(new LabelRequirement(Check(term[1..].Trim(), text), LabelOp.DoesNotExist, []));
            }
            else if (FindSetOperator(term) is { } set)
            {
                result.Add(set);
            }
            else if (SplitOperator(term, ["!=", "==", "="]) is var (key, op, value))
            {
                result.Add(new LabelRequirement(Check(key, text), op == "!=" ? LabelOp.NotEquals : LabelOp.Equals, [value]));
            }
            else
            {
                result.Add(new LabelRequirement(Check(term, text), LabelOp.Exists, []));
            }
        }

        return [.. result];

        LabelRequirement? FindSetOperator(string term)
        {
            foreach (var (word, op) in new[] { (" notin ", LabelOp.NotIn), (" in ", LabelOp.In) })
            {
                var at = term.IndexOf(word, StringComparison.Ordinal);
                if (at > 0)
                {
                    var values = term[(at + word.Length)..].Trim();
                    if (!values.StartsWith('(') || !values.EndsWith(')'))
                    {
                        throw ApiException.BadRequest($"unable to parse requirement: found '{values}', expected: '('");
                    }

                    var set = values[1..^1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                    return new LabelRequirement(Check(term[..at].Trim(), text), op, set);
                }
            }

            return null;
        }
    }

    private static string Check(string key, string selector) =>
        key.Length == 0 || key.Any(c => char.IsWhiteSpace(c) || c is '(' or ')' or '!' or '=' or ',')
            ? throw ApiException.BadRequest($"unable to parse requirement: invalid label key \"{key}\" in selector \"{selector}\"")
            : key;

    private static (string Left, string Op, string Right)? SplitOperator(string term, string[] operators)
    {
        foreach (var op in operators)
        {
            var at = term.IndexOf(op, StringComparison.Ordinal);
            if (at > 0)
            {
                return (term[..at].Trim(), op, term[(at + op.Length)..].Trim());
            }
        }

        return null;
    }

    /// <summary>Splits on commas outside parentheses ("a in (x,y),b" is two terms).</summary>
    private static IEnumerable<string> SplitTop(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            depth += text[i] switch { '(' => 1, ')' => -1, _ => 0 };
            if (text[i] == ',' && depth == 0)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }

        yield return text[start..];
    }

    private enum LabelOp
    {
        Equals,
        NotEquals,
        In,
        NotIn,
        Exists,
        DoesNotExist,
    }

    private sealed record LabelRequirement(string Key, LabelOp Op, string[] Values)
    {
        public bool Matches(IReadOnlyDictionary<string, string> labels)
        {
            var present = labels.TryGetValue(Key, out var value);
            return Op switch
            {
                LabelOp.Equals => present && value == Values[0],
                LabelOp.NotEquals => !present || value != Values[0],
                LabelOp.In => present && Values.Contains(value),
                LabelOp.NotIn => !present || !Values.Contains(value),
                LabelOp.Exists => present,
                _ => !present,
            };
        }
    }

    private sealed record FieldRequirement(string Field, string Value, bool Equal);
}
