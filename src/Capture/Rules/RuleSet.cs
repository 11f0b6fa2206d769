using System.Collections.Immutable;
using System.Text;
using IstioPodNetwork.Capture.Spec;

namespace IstioPodNetwork.Capture.Rules;

/// <summary>Our rules of one table, in order, and the Istio chains they need.</summary>
public sealed record TableRules(string Table, ImmutableArray<string> Chains, ImmutableArray<Rule> Rules)
{
    /// <summary>The rules of <paramref name="chain"/>, in order.</summary>
    public IEnumerable<Rule> In(string chain) => Rules.Where(r => r.Chain == chain);

    public bool Equals(TableRules? other) => other is not null && Table == other.Table && Chains.SequenceEqual(other.Chains) && Rules.SequenceEqual(other.Rules);

    public override int GetHashCode() => HashCode.Combine(Table, Rules.Length);
}

/// <summary>Our rules for one IP family: what one <c>iptables-restore</c> (or <c>ip6tables-restore</c>) applies.</summary>
public sealed record FamilyRules(IpFamily Family, ImmutableArray<TableRules> Tables)
{
    /// <summary>
    /// The iptables-restore input for a network namespace that has none of our chains yet
    /// (the text `ipnc rules` prints). <c>-N</c> fails if a chain exists, which makes this text safe to try first:
    /// it either applies completely to a fresh namespace or changes nothing.
    /// </summary>
    public string ToRestoreText()
    {
        var text = new StringBuilder();
        foreach (var table in Tables)
        {
            text.Append("* ").Append(table.Table).Append('\n');
            foreach (var chain in table.Chains)
            {
                text.Append("-N ").Append(chain).Append('\n');
            }

            foreach (var rule in table.Rules)
            {
                text.Append(rule).Append('\n');
            }

            text.Append("COMMIT\n");
        }

        return text.ToString();
    }

    public bool Equals(FamilyRules? other) => other is not null && Family == other.Family && Tables.SequenceEqual(other.Tables);

    public override int GetHashCode() => HashCode.Combine(Family, Tables.Length);
}

/// <summary>Every rule one pod needs, per IP family (IPv6 only when the pod has an IPv6 address), plus whether TPROXY policy routing is needed.</summary>
public sealed record RuleSet(ImmutableArray<FamilyRules> Families, bool NeedsTproxyRouting)
{
    /// <summary>The rules of <paramref name="family"/>, or null when the pod needs none for it.</summary>
    public FamilyRules? For(IpFamily family) => Families.FirstOrDefault(f => f.Family == family);

    /// <summary>IPv4 text first; with IPv6, a line <c># ip6tables-restore</c> and then the IPv6 text.</summary>
    public string ToRestoreText()
    {
        var text = new StringBuilder();
        foreach (var family in Families)
        {
            if (family.Family == IpFamily.IPv6)
            {
                text.Append("# ip6tables-restore\n");
            }

            text.Append(family.ToRestoreText());
        }

        return text.ToString();
    }

    public bool Equals(RuleSet? other) => other is not null && NeedsTproxyRouting == other.NeedsTproxyRouting && Families.SequenceEqual(other.Families);

    public override int GetHashCode() => HashCode.Combine(NeedsTproxyRouting, Families.Length);
}
