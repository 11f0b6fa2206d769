using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace IstioPodNetwork.Integration.Tests.Deploy;

/// <summary>Reading, writing and comparing YAML as YamlDotNet's node model.</summary>
internal static class YamlNodes
{
    /// <summary>The mapping documents of a multi-document text (comment-only documents are left out).</summary>
    public static IReadOnlyList<YamlMappingNode> Documents(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return [.. stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>()];
    }

    public static YamlNode? At(this YamlNode? node, params string[] path)
    {
        foreach (var key in path)
        {
            node = node is YamlMappingNode mapping && mapping.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;
        }

        return node;
    }

    public static string? Str(this YamlNode? node, params string[] path) => (node.At(path) as YamlScalarNode)?.Value;

    public static IEnumerable<YamlNode> Items(this YamlNode? node, params string[] path) =>
        node.At(path) is YamlSequenceNode sequence ? sequence.Children : [];

    /// <summary>The one document of a kind.</summary>
    public static YamlMappingNode OfKind(this IEnumerable<YamlMappingNode> documents, string kind) =>
        Assert.Single(documents, d => d.Str("kind") == kind);

    /// <summary>Writes a node as block YAML at an indentation, as Helm's <c>toYaml … | nindent</c> would place it.</summary>
    public static void Write(YamlNode node, int indent, StringBuilder output)
    {
        var pad = new string(' ', indent);
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (key, value) in mapping.Children)
                {
                    Entry($"{pad}{Quote(((YamlScalarNode)key).Value ?? string.Empty)}:", value, indent, output);
                }

                break;
            case YamlSequenceNode sequence:
                foreach (var item in sequence.Children)
                {
                    if (item is YamlMappingNode { Children.Count: > 0 })
                    {
                        var nested = new StringBuilder();
                        Write(item, indent + 2, nested);
                        output.Append(pad).Append("- ").Append(nested.ToString(indent + 2, nested.Length - indent - 2));
                    }
                    else
                    {
                        Entry($"{pad}-", item, indent, output);
                    }
                }

                break;
            default:
                throw new NotSupportedException($"a bare scalar ({node}) where Helm would write a block");
        }
    }

    /// <summary>
    /// Collects where <paramref name="manifest"/> differs from <paramref name="chart"/> (a rendered template):
    /// an empty value in the chart is unknown (a helper's output) and matches anything, a scalar holding
    /// <see cref="GoTemplate.Unknown"/> matches any text in its place; everything else must be equal,
    /// with no key on either side missing from the other.
    /// </summary>
    public static void Compare(YamlNode chart, YamlNode? manifest, string path, List<string> differences)
    {
        switch (chart)
        {
            case YamlScalarNode { Value: null or "", Style: YamlDotNet.Core.ScalarStyle.Plain or YamlDotNet.Core.ScalarStyle.Any }:
                return;
            case YamlScalarNode scalar when manifest is YamlScalarNode { Value: var actual } && Matches(scalar.Value!, actual ?? string.Empty):
                return;
            case YamlMappingNode mapping when manifest is YamlMappingNode other:
                foreach (var (key, value) in mapping.Children)
                {
                    var name = ((YamlScalarNode)key).Value!;
                    if (other.Children.TryGetValue(key, out var counterpart))
                    {
                        Compare(value, counterpart, $"{path}.{name}", differences);
                    }
                    else
                    {
                        differences.Add($"{path}.{name}: in the chart, not in the manifest");
                    }
                }

                differences.AddRange(other.Children.Keys.Where(k => !mapping.Children.ContainsKey(k)).Select(k => $"{path}.{k}: in the manifest, not in the chart"));
                return;
            case YamlSequenceNode sequence when manifest is YamlSequenceNode other && other.Children.Count == sequence.Children.Count:
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    Compare(sequence.Children[i], other.Children[i], $"{path}[{i}]", differences);
                }

                return;
            default:
                differences.Add($"{path}: the chart has {Flat(chart)}, the manifest {(manifest is null ? "nothing" : Flat(manifest))}");
                return;
        }
    }

    private static bool Matches(string chart, string manifest) =>
        chart.Contains(GoTemplate.Unknown, StringComparison.Ordinal)
            ? Regex.IsMatch(manifest, "^" + string.Join(".+", chart.Split(GoTemplate.Unknown).Select(Regex.Escape)) + "$", RegexOptions.Singleline)
            : chart == manifest;

    private static void Entry(string prefix, YamlNode value, int indent, StringBuilder output)
    {
        _ = value switch
        {
            YamlScalarNode scalar => output.Append(prefix).Append(' ').Append(Quote(scalar.Value ?? string.Empty)).Append('\n'),
            YamlMappingNode { Children.Count: 0 } => output.Append(prefix).Append(" {}\n"),
            YamlSequenceNode { Children.Count: 0 } => output.Append(prefix).Append(" []\n"),
            _ => output.Append(prefix).Append('\n'),
        };
        if (value is YamlMappingNode { Children.Count: > 0 } or YamlSequenceNode { Children.Count: > 0 })
        {
            Write(value, indent + 2, output);
        }
    }

    /// <summary>A double-quoted YAML scalar: comparisons read values, not quoting styles.</summary>
    private static string Quote(string text) =>
        "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static string Flat(YamlNode node) => node is YamlScalarNode scalar ? $"\"{scalar.Value}\"" : node.ToString();
}
