using System.Collections.Immutable;
using System.Text;
using IstioPodNetwork.Capture.Rules;
using IstioPodNetwork.Capture.Spec;

namespace IstioPodNetwork.Capture.Programming;

/// <summary>
/// Compares what a netns has with what it should have and, if they differ, writes the one
/// <c>iptables-restore --noflush</c> transaction that makes our part of it right.
/// "Ours" is every ISTIO_* chain, and in other chains every rule carrying our comment or jumping
/// to an ISTIO_* chain (a jump left behind by an earlier istio-init is ours to replace too). Any other
/// rule is foreign and is never touched. Pure.
/// </summary>
internal sealed record Reconciliation(
    ImmutableArray<RuleDifference> Missing,
    ImmutableArray<RuleDifference> Unexpected,
    ImmutableArray<RuleDifference> Misordered,
    bool HadOurRules,
    string? Transaction)
{
    public bool InSync => Transaction is null;

    /// <param name="expected">Our rules for this family; null to remove all of ours.</param>
    public static Reconciliation Of(IpFamily family, FamilyRules? expected, ImmutableDictionary<string, SavedTable> saved)
    {
        var missing = ImmutableArray.CreateBuilder<RuleDifference>();
        var unexpected = ImmutableArray.CreateBuilder<RuleDifference>();
        var misordered = ImmutableArray.CreateBuilder<RuleDifference>();
        var transaction = new StringBuilder();
        var hadOurs = false;

        var expectedTables = expected?.Tables.ToDictionary(t => t.Table) ?? [];
        foreach (var tableName in expectedTables.Keys.Concat(saved.Keys).Distinct(StringComparer.Ordinal))
        {
            var want = expectedTables.GetValueOrDefault(tableName);
            var have = saved.GetValueOrDefault(tableName) ?? new SavedTable(tableName, [], ImmutableDictionary<string, ImmutableArray<string>>.Empty);
            hadOurs |= have.Chains.Any(IsOurChain) || have.Rules.Any(p => !IsOurChain(p.Key) && p.Value.Any(IsOurRule));

            var declare = new List<string>();
            var delete = new List<string>();
            var stale = new List<string>();
            var append = new List<string>();
            var wantChains = want?.Chains ?? [];
            var chainsInPlay = wantChains
                .Concat(want?.Rules.Select(r => r.Chain) ?? [])
                .Concat(have.Chains.Where(IsOurChain))
                .Concat(have.Rules.Where(p => !IsOurChain(p.Key) && p.Value.Any(IsOurRule)).Select(p => p.Key))
                .Distinct(StringComparer.Ordinal);

            foreach (var chain in chainsInPlay)
            {
                var wanted = want?.In(chain).Select(r => IptablesSave.Normalise(r.Spec)).ToList() ?? [];
                var ourChain = IsOurChain(chain);
                var exists = have.Chains.Contains(chain);
                var present = (ourChain ? have.RulesOf(chain) : have.RulesOf(chain).Where(IsOurRule)).ToList();
                var wantChain = wantChains.Contains(chain);

                if (ourChain && !wantChain)
                {
                    // A chain we no longer need: flush and delete it after the jumps to it are gone.
                    unexpected.Add(new RuleDifference(family, tableName, chain, ":" + chain));
                    unexpected.AddRange(present.Select(r => new RuleDifference(family, tableName, chain, $"-A {chain} {r}")));
                    stale.Add(chain);
                    continue;
                }

                if (ourChain && !exists)
                {
                    missing.Add(new RuleDifference(family, tableName, chain, ":" + chain));
                }

                var chainMissing = ourChain && !exists;
                if (!chainMissing && present.SequenceEqual(wanted, StringComparer.Ordinal))
                {
                    continue;
                }

                var missingRules = MultisetMinus(wanted, present);
                var unexpectedRules = MultisetMinus(present, wanted);
                missing.AddRange(missingRules.Select(r => new RuleDifference(family, tableName, chain, $"-A {chain} {r}")));
                unexpected.AddRange(unexpectedRules.Select(r => new RuleDifference(family, tableName, chain, $"-A {chain} {r}")));
                if (missingRules.Count == 0 && unexpectedRules.Count == 0 && !chainMissing)
                {
                    misordered.Add(new RuleDifference(family, tableName, chain, $"rules of {chain} are out of order"));
                }

                if (ourChain)
                {
                    // Declaring a chain in --noflush mode creates it, or empties it if it exists.
                    declare.Add($":{chain} - [0:0]");
                }
                else
                {
                    delete.AddRange(present.Select(r => $"-D {chain} {r}"));
                }

                append.AddRange(wanted.Select(r => $"-A {chain} {r}"));
            }

            if (declare.Count + delete.Count + stale.Count + append.Count == 0)
            {
                continue;
            }

            transaction.Append('*').Append(tableName).Append('\n');
            foreach (var line in declare.Concat(delete).Concat(stale.Select(c => "-F " + c)).Concat(stale.Select(c => "-X " + c)).Concat(append))
            {
                transaction.Append(line).Append('\n');
            }

            transaction.Append("COMMIT\n");
        }

        return new Reconciliation(
            missing.ToImmutable(),
            unexpected.ToImmutable(),
            misordered.ToImmutable(),
            hadOurs,
            transaction.Length == 0 ? null : transaction.ToString());
    }

    public static bool IsOurChain(string chain) => chain.StartsWith(RuleSetBuilder.IstioPrefix, StringComparison.Ordinal);

    /// <summary>A rule outside our chains that is ours: it carries our comment or jumps into one of our chains.</summary>
    public static bool IsOurRule(string spec)
    {
        if (spec.Contains("--comment \"" + Rule.CommentPrefix, StringComparison.Ordinal))
        {
            return true;
        }

        var jump = spec.LastIndexOf("-j ", StringComparison.Ordinal);
        return jump >= 0 && (jump == 0 || spec[jump - 1] == ' ') && IsOurChain(spec[(jump + 3)..].Split(' ', 2)[0]);
    }

    private static List<string> MultisetMinus(List<string> from, List<string> remove)
    {
        var left = new List<string>(from);
        foreach (var item in remove)
        {
            left.Remove(item);
        }

        return left;
    }
}
