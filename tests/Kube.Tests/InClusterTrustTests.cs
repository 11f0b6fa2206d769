using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace IstioPodNetwork.Kube.Tests;

/// <summary>In a pod: the API server is trusted through the service account's CA, and the token is read again as the kubelet rotates it.</summary>
public sealed class InClusterTrustTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("ipnc-serviceaccount-");
    private readonly X509Certificate2 authority = Authority("cluster-ca");
    private readonly X509Certificate2 otherAuthority = Authority("other-ca");

    public void Dispose()
    {
        authority.Dispose();
        otherAuthority.Dispose();
        directory.Delete(recursive: true);
    }

    [Fact]
    public void A_server_certificate_from_the_clusters_CA_is_trusted_and_one_from_another_CA_is_not()
    {
        using var server = Issue(authority);
        using var impostor = Issue(otherAuthority);

        Assert.True(KubeClients.IsTrusted(server, SslPolicyErrors.RemoteCertificateChainErrors, [authority]));
        Assert.False(KubeClients.IsTrusted(impostor, SslPolicyErrors.RemoteCertificateChainErrors, [authority]));
        Assert.False(KubeClients.IsTrusted(server, SslPolicyErrors.RemoteCertificateChainErrors, []));
    }

    [Fact]
    public void A_certificate_that_does_not_name_the_server_or_is_missing_is_refused_whoever_issued_it()
    {
        using var server = Issue(authority);

        Assert.False(KubeClients.IsTrusted(server, SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateChainErrors, [authority]));
        Assert.False(KubeClients.IsTrusted(null, SslPolicyErrors.RemoteCertificateNotAvailable, [authority]));
        Assert.True(KubeClients.IsTrusted(server, SslPolicyErrors.None, []));
    }

    [Fact]
    public void The_token_is_read_again_once_a_minute_as_the_kubelet_rotates_it()
    {
        var path = Path.Combine(directory.FullName, "token");
        File.WriteAllText(path, "first\n");
        var time = new ManualTime();
        var token = new ServiceAccountToken(path, time);

        Assert.Equal("first", token.Current());
        File.WriteAllText(path, "second");
        time.Advance(ServiceAccountToken.ReadInterval - TimeSpan.FromSeconds(1));
        Assert.Equal("first", token.Current());
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("second", token.Current());
    }

    [Fact]
    public void A_token_that_cannot_be_read_again_is_kept_until_it_can_and_a_first_read_that_fails_throws()
    {
        var path = Path.Combine(directory.FullName, "token");
        var time = new ManualTime();
        var token = new ServiceAccountToken(path, time);
        Assert.Throws<FileNotFoundException>(token.Current);

        File.WriteAllText(path, "first");
        Assert.Equal("first", token.Current());
        File.Delete(path);
        time.Advance(ServiceAccountToken.ReadInterval);
        Assert.Equal("first", token.Current());
        File.WriteAllText(path, "second");
        time.Advance(ServiceAccountToken.ReadInterval);
        Assert.Equal("second", token.Current());
    }

    private static X509Certificate2 Authority(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        return request.CreateSelfSigned(Now.AddDays(-1), Now.AddDays(1));
    }

    private static X509Certificate2 Issue(X509Certificate2 issuer)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=kube-apiserver", key, HashAlgorithmName.SHA256);
        return request.Create(issuer, Now.AddHours(-1), Now.AddHours(1), RandomNumberGenerator.GetBytes(8));
    }

    private sealed class ManualTime : TimeProvider
    {
        private DateTimeOffset now = Now;

        public override DateTimeOffset GetUtcNow() => now;

        public void Advance(TimeSpan by) => now += by;
    }
}
