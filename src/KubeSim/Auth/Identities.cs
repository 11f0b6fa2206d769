using System.Security.Cryptography;
using System.Text;

namespace IstioPodNetwork.KubeSim.Auth;

/// <summary>Who sent a request: KubeSim's own kubeconfig user, or a service account KubeSim issued a token for.</summary>
internal sealed record Identity(string User, string? ServiceAccountNamespace = null, string? ServiceAccountName = null)
{
    /// <summary>The kubeconfig's user: allowed everything, as a member of system:masters is.</summary>
    public static readonly Identity Admin = new(Hosting.Kubeconfig.Name);

    public bool IsServiceAccount => ServiceAccountName is not null;

    public static Identity ServiceAccount(string ns, string name) => new($"system:serviceaccount:{ns}:{name}", ns, name);
}

/// <summary>
/// The bearer tokens KubeSim accepts: its kubeconfig's, and service-account tokens it signed itself (as the API server
/// signs projected tokens), which name the account and carry an HMAC under a key made fresh per instance.
/// </summary>
internal sealed class Identities(string adminToken)
{
    private const string ServiceAccountPrefix = "sa.";
    private readonly byte[] key = RandomNumberGenerator.GetBytes(32);

    /// <summary>A token for service account <paramref name="name"/> of namespace <paramref name="ns"/> (both DNS labels, so free of dots).</summary>
    public string IssueServiceAccountToken(string ns, string name) => $"{ServiceAccountPrefix}{ns}.{name}.{Signature(ns, name)}";

    /// <summary>The identity an Authorization header proves, or null when it proves none.</summary>
    public Identity? Identify(string authorization)
    {
        const string Scheme = "Bearer ";
        if (!authorization.StartsWith(Scheme, StringComparison.Ordinal))
        {
            return null;
        }

        var token = authorization[Scheme.Length..];
        if (SameText(token, adminToken))
        {
            return Identity.Admin;
        }

        return token.StartsWith(ServiceAccountPrefix, StringComparison.Ordinal)
            && token[ServiceAccountPrefix.Length..].Split('.') is [var ns, var name, var signature]
            && SameText(signature, Signature(ns, name))
                ? Identity.ServiceAccount(ns, name)
                : null;
    }

    private string Signature(string ns, string name) => Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{ns}/{name}")));

    private static bool SameText(string given, string expected) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected));
}
