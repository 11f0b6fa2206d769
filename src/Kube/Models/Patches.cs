namespace IstioPodNetwork.Kube.Models;

/// <summary>A merge patch of a pod's annotations: a null value removes the annotation.</summary>
public sealed record AnnotationsPatch(AnnotationsPatch.Meta Metadata)
{
    public static AnnotationsPatch Of(string key, string? value) => new(new Meta(new Dictionary<string, string?>(StringComparer.Ordinal) { [key] = value }));

    public sealed record Meta(IReadOnlyDictionary<string, string?> Annotations);
}

/// <summary>A strategic merge patch of pods/status that sets one condition (conditions merge by type).</summary>
public sealed record ConditionPatch(ConditionPatch.PatchedStatus Status)
{
    public static ConditionPatch Of(PatchedCondition condition) => new(new PatchedStatus([condition]));

    public sealed record PatchedStatus(IReadOnlyList<PatchedCondition> Conditions);

    public sealed record PatchedCondition(string Type, string Status, string Reason, string Message, string LastTransitionTime);
}
