using System.Collections.Immutable;

namespace IstioPodNetwork.Capture.Programming;

/// <summary>What applying a rule set to a netns did.</summary>
public abstract record ApplyOutcome
{
    private ApplyOutcome()
    {
    }

    /// <summary>Our rules were there already, exactly; nothing was run that changes anything.</summary>
    public sealed record Unchanged(IptablesBackend Backend) : ApplyOutcome;

    /// <summary>The netns had none of our rules; now it has all of them.</summary>
    public sealed record Applied(IptablesBackend Backend) : ApplyOutcome;

    /// <summary>Our rules had drifted (<paramref name="Drift"/> lists what differed); they were replaced in one atomic transaction.</summary>
    public sealed record Repaired(IptablesBackend Backend, ImmutableArray<RuleDifference> Drift) : ApplyOutcome;

    public sealed record Failed(string Reason) : ApplyOutcome;
}

/// <summary>What reading a netns's rules back found.</summary>
public abstract record VerifyResult
{
    private VerifyResult()
    {
    }

    /// <summary>Each missing and each unexpected rule of ours; chains whose rules are all there but out of order.</summary>
    public sealed record Report(
        IptablesBackend Backend,
        ImmutableArray<RuleDifference> Missing,
        ImmutableArray<RuleDifference> Unexpected,
        ImmutableArray<RuleDifference> Misordered) : VerifyResult
    {
        public bool Clean => Missing.IsEmpty && Unexpected.IsEmpty && Misordered.IsEmpty;

        public override string ToString() => Clean
            ? $"all rules in place ({Backend})"
            : string.Join("; ", Missing.Select(d => "missing " + d).Concat(Unexpected.Select(d => "unexpected " + d)).Concat(Misordered.Select(d => d.ToString())));
    }

    public sealed record Failed(string Reason) : VerifyResult;
}

/// <summary>What removing our rules from a netns did.</summary>
public abstract record RemoveOutcome
{
    private RemoveOutcome()
    {
    }

    public sealed record Removed(ImmutableArray<RuleDifference> Rules) : RemoveOutcome;

    public sealed record NothingToRemove : RemoveOutcome;

    public sealed record Failed(string Reason) : RemoveOutcome;
}
