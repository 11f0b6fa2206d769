namespace IstioPodNetwork.KubeSim;

/// <summary>
/// One kind of API request, named as the real API server's audit log names it: the verb (get, list,
/// watch, create, update, patch, delete, deletecollection; for a URL that names no resource, such as
/// discovery or /version, the lower-case HTTP method) and the resource ("pods", "pods/status"; null
/// when the URL names none).
/// </summary>
public readonly record struct ApiRequestKind(string Verb, string? Resource)
{
    public override string ToString() => Resource is null ? $"{Verb} (no resource)" : $"{Verb} {Resource}";
}

/// <summary>
/// How many API requests KubeSim has served, by kind. A watch counts once, when it opens; requests
/// answered with an injected failure count too (they reached the server). Admin requests
/// (/kubesim/...) never count.
/// </summary>
public sealed class KubeSimRequests
{
    internal KubeSimRequests(IReadOnlyDictionary<ApiRequestKind, long> byKind) => ByKind = byKind;

    public IReadOnlyDictionary<ApiRequestKind, long> ByKind { get; }

    public long Total => ByKind.Values.Sum();

    public IReadOnlyDictionary<string, long> ByVerb =>
        ByKind.GroupBy(pair => pair.Key.Verb, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(pair => pair.Value), StringComparer.Ordinal);

    /// <summary>Requests with <paramref name="verb"/>, on <paramref name="resource"/> only when one is given.</summary>
    public long Count(string verb, string? resource = null) =>
        ByKind.Where(pair => pair.Key.Verb == verb && (resource is null || pair.Key.Resource == resource)).Sum(pair => pair.Value);

    /// <summary>The requests served since <paramref name="earlier"/> was taken.</summary>
    public KubeSimRequests Since(KubeSimRequests earlier) =>
        new(ByKind
            .Select(pair => (pair.Key, Count: pair.Value - earlier.ByKind.GetValueOrDefault(pair.Key)))
            .Where(pair => pair.Count > 0)
            .ToDictionary(pair => pair.Key, pair => pair.Count));
}
