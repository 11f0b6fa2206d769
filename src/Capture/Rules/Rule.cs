namespace IstioPodNetwork.Capture.Rules;

/// <summary>
/// One rule we own, written exactly as <c>iptables-save</c> prints it (match order, <c>-m tcp</c>,
/// hex marks, full target options), so reading rules back is a plain comparison of lines.
/// </summary>
/// <param name="Chain">Istio's chain name (ISTIO_*), or a built-in chain for jumps and short circuits.</param>
/// <param name="Matches">The match part, canonical; empty for a rule that matches everything.</param>
/// <param name="Target">The target with its options, without <c>-j</c>.</param>
/// <param name="Purpose">Why the rule exists; it becomes the rule's comment, <c>ipnc: &lt;purpose&gt;</c>. Plain words, digits and
/// <c>.,:/()*-</c> only: iptables-save escapes quotes and backslashes, and the saved text must equal ours.</param>
public sealed record Rule(string Chain, string Matches, string Target, string Purpose)
{
    /// <summary>Every rule we add carries a comment starting with this, so our rules can always be told apart.</summary>
    public const string CommentPrefix = "ipnc: ";

    /// <summary>The rule's text after <c>-A CHAIN</c>, as iptables-save prints it.</summary>
    public string Spec => (Matches.Length == 0 ? string.Empty : Matches + " ") + $"-m comment --comment \"{CommentPrefix}{Purpose}\" -j {Target}";

    public override string ToString() => $"-A {Chain} {Spec}";
}
