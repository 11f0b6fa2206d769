using IstioPodNetwork.Capture.Spec;

namespace IstioPodNetwork.Capture.Programming;

/// <summary>One rule (or chain, <c>:ISTIO_X</c>; or policy route) that is missing or unexpected, where it is and its text.</summary>
public sealed record RuleDifference(IpFamily Family, string Table, string Chain, string Rule)
{
    public override string ToString() => $"{(Family == IpFamily.IPv4 ? "ipv4" : "ipv6")} {Table}: {Rule}";
}
