using System.Text.RegularExpressions;
using IstioPodNetwork.Capture.Programming;
using IstioPodNetwork.Capture.Processes;
using IstioPodNetwork.Capture.Spec;

namespace IstioPodNetwork.Capture.Tests.Infrastructure;

/// <summary>A netns's iptables-save, normalised for semantic comparison: per table, each chain and its rules; comments, counters and headers dropped.</summary>
public static partial class SavedRules
{
    public static readonly IptablesTools Tools = IptablesTools.FromPath();

    public static async Task<string> SaveAsync(TestNetns netns, IptablesBackend backend, IpFamily family = IpFamily.IPv4) =>
        await netns.RunAsync(Tools.Save(backend, family));

    /// <summary>"table chain: rule" lines, comments removed, chain declarations as "table :chain", sorted by table then chain in save order.</summary>
    public static IReadOnlyList<string> Normalise(string save)
    {
        var lines = new List<string>();
        foreach (var (name, table) in IptablesSave.Parse(save).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            foreach (var chain in table.Chains.Order(StringComparer.Ordinal))
            {
                lines.Add($"{name} :{chain}");
                lines.AddRange(table.RulesOf(chain).Select(rule => $"{name} {chain}: {WithoutComment(rule)}"));
            }
        }

        return lines;
    }

    public static string WithoutComment(string rule) => IptablesSave.Normalise(Comment().Replace(rule, " "));

    [GeneratedRegex("""-m comment --comment (?:"[^"]*"|\S+)""")]
    private static partial Regex Comment();
}
