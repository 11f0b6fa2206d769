using System.Collections.Immutable;

namespace IstioPodNetwork.Capture.Programming;

/// <summary>One table as <c>iptables-save</c> printed it: its chains in order and each chain's rules (the text after <c>-A CHAIN</c>).</summary>
internal sealed record SavedTable(string Name, ImmutableArray<string> Chains, ImmutableDictionary<string, ImmutableArray<string>> Rules)
{
    public ImmutableArray<string> RulesOf(string chain) => Rules.TryGetValue(chain, out var rules) ? rules : [];
}

/// <summary>Parses <c>iptables-save</c> output; counters, comments lines and headers are dropped, whitespace is normalised.</summary>
internal static class IptablesSave
{
    public static ImmutableDictionary<string, SavedTable> Parse(string text)
    {
        var tables = ImmutableDictionary.CreateBuilder<string, SavedTable>();
        string? table = null;
        var chains = new List<string>();
        var rules = new Dictionary<string, List<string>>();

        void Finish()
        {
            if (table is not null)
            {
                tables[table] = new SavedTable(table, [.. chains], rules.ToImmutableDictionary(p => p.Key, p => p.Value.ToImmutableArray()));
            }

            table = null;
            chains = [];
            rules = [];
        }

        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            if (line[0] == '*')
            {
                Finish();
                table = line[1..].Trim();
            }
            else if (line == "COMMIT")
            {
                Finish();
            }
            else if (table is not null && line[0] == ':')
            {
                chains.Add(line[1..].Split(' ', 2)[0]);
            }
            else if (table is not null && line.StartsWith("-A ", StringComparison.Ordinal))
            {
                var parts = line[3..].Split(' ', 2, StringSplitOptions.TrimEntries);
                if (!rules.TryGetValue(parts[0], out var list))
                {
                    list = [];
                    rules[parts[0]] = list;
                }

                list.Add(Normalise(parts.Length > 1 ? parts[1] : string.Empty));
            }
        }

        Finish();
        return tables.ToImmutable();
    }

    /// <summary>Collapses runs of whitespace outside quotes, so spacing never makes two equal rules differ.</summary>
    public static string Normalise(string spec)
    {
        var result = new System.Text.StringBuilder(spec.Length);
        var quoted = false;
        var pendingSpace = false;
        foreach (var c in spec.Trim())
        {
            if (c == '"')
            {
                quoted = !quoted;
            }

            if (!quoted && char.IsWhiteSpace(c))
            {
                pendingSpace = true;
                continue;
            }

            if (pendingSpace)
            {
                result.Append(' ');
                pendingSpace = false;
            }

            result.Append(c);
        }

        return result.ToString();
    }
}
