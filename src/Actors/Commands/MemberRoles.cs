using System.Collections.Immutable;
using System.Globalization;
using Akka.Cluster;

namespace IstioPodNetwork.Actors.Commands;

/// <summary>
/// Facts every agent publishes about itself as cluster member roles, the one
/// thing every member knows of every other: its node name (<c>node:NAME</c>)
/// and when it started (<c>since:TIME</c>). The other roles are plain roles.
/// </summary>
public static class MemberRoles
{
    private const string NodePrefix = "node:";
    private const string SincePrefix = "since:";
    private const string SinceFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    /// <summary>The roles that describe this agent, to add to its configured roles.</summary>
    public static ImmutableArray<string> Describing(string nodeName, DateTimeOffset started) =>
        [.. (nodeName.Length > 0 ? [NodePrefix + nodeName] : Array.Empty<string>()), SincePrefix + started.UtcDateTime.ToString(SinceFormat, CultureInfo.InvariantCulture)];

    public static string? NodeName(Member member) => Find(member, NodePrefix);

    public static DateTimeOffset? Since(Member member) =>
        DateTimeOffset.TryParseExact(Find(member, SincePrefix), SinceFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var since) ? since : null;

    /// <summary>The member's roles other than these facts, sorted.</summary>
    public static ImmutableArray<string> Plain(Member member) =>
        [.. member.Roles.Where(r => !r.StartsWith(NodePrefix, StringComparison.Ordinal) && !r.StartsWith(SincePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

    private static string? Find(Member member, string prefix) =>
        member.Roles.FirstOrDefault(r => r.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..];
}
