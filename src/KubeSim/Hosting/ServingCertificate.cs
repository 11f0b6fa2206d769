using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace IstioPodNetwork.KubeSim.Hosting;

/// <summary>
/// A throw-away certificate authority and a serving certificate it signed for the listen address, so
/// KubeSim can serve HTTPS like a real API server: clients that insist on https (Akka's Kubernetes
/// discovery among them) trust it through the kubeconfig's certificate-authority-data.
/// </summary>
internal sealed class ServingCertificate : IDisposable
{
    private ServingCertificate(X509Certificate2 authority, X509Certificate2 serving)
    {
        Authority = authority;
        Serving = serving;
    }

    public X509Certificate2 Authority { get; }

    /// <summary>The leaf Kestrel serves, with its private key.</summary>
    public X509Certificate2 Serving { get; }

    public string AuthorityPem => Authority.ExportCertificatePem();

    public static ServingCertificate Create(IPAddress listenAddress)
    {
        using var authorityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var authorityRequest = new CertificateRequest("CN=kubesim-ca", authorityKey, HashAlgorithmName.SHA256);
        authorityRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        authorityRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        authorityRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(authorityRequest.PublicKey, critical: false));
        var notBefore = DateTimeOffset.UtcNow.AddMinutes(-5);
        using var authority = authorityRequest.CreateSelfSigned(notBefore, notBefore.AddDays(30));

        using var servingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var servingRequest = new CertificateRequest("CN=kubesim", servingKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(listenAddress);
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        names.AddDnsName("kubernetes.default.svc");
        servingRequest.CertificateExtensions.Add(names.Build());
        servingRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        servingRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        servingRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        servingRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var signed = servingRequest.Create(authority, notBefore, notBefore.AddDays(29), serial);
        using var withKey = signed.CopyWithPrivateKey(servingKey);

        // Kestrel on Linux wants a certificate whose key it can use directly: round-trip through PKCS#12.
        var serving = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), password: null);
        return new ServingCertificate(X509CertificateLoader.LoadCertificate(authority.RawData), serving);
    }

    public void Dispose()
    {
        Authority.Dispose();
        Serving.Dispose();
    }
}
