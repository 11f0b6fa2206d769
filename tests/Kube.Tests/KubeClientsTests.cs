using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using k8s;
using k8s.Exceptions;

namespace IstioPodNetwork.Kube.Tests;

public sealed class KubeClientsTests : IDisposable
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("ipnc-kubeconfig-");

    public void Dispose() => directory.Delete(recursive: true);

    [Theory]
    [InlineData(null)]
    [InlineData("laptop")]
    [InlineData("agent")]
    public void A_kubeconfig_gives_the_same_configuration_as_KubernetesClients_own_reader(string? context)
    {
        var path = Write("config", $"""
            apiVersion: v1
            kind: Config
            current-context: agent
            preferences: {"{}"}
            clusters:
            - name: remote
              cluster:
                server: https://api.example.test:6443
                certificate-authority-data: {Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(SelfSignedPem()))}
                tls-server-name: kubernetes.default
            - name: local
              cluster:
                server: https://127.0.0.1:7443
                insecure-skip-tls-verify: true
            contexts:
            - name: laptop
              context: &base
                cluster: local
                user: developer
                namespace: dev
            - name: agent
              context:
                <<: *base
                cluster: remote
                user: agent
            users:
            - name: developer
              user:
                client-certificate: certs/developer.crt
                client-key: certs/developer.key
            - name: agent
              user:
                token: abc.def
            extensions:
            - name: kubesim
              extension: {"{ nodes: 3 }"}
            """);

        var ours = KubernetesClientConfiguration.BuildConfigFromConfigObject(KubeClients.LoadKubeconfig(path), context);
        var theirs = KubernetesClientConfiguration.BuildConfigFromConfigFile(path, context);

        Assert.Equal(theirs.CurrentContext, ours.CurrentContext);
        Assert.Equal(theirs.Host, ours.Host);
        Assert.Equal(theirs.Namespace, ours.Namespace);
        Assert.Equal(theirs.AccessToken, ours.AccessToken);
        Assert.Equal(theirs.SkipTlsVerify, ours.SkipTlsVerify);
        Assert.Equal(theirs.TlsServerName, ours.TlsServerName);
        Assert.Equal(theirs.ClientCertificateFilePath, ours.ClientCertificateFilePath);
        Assert.Equal(theirs.ClientKeyFilePath, ours.ClientKeyFilePath);
        Assert.Equal(theirs.SslCaCerts?.Select(c => c.Thumbprint), ours.SslCaCerts?.Select(c => c.Thumbprint));
        if (context == "laptop")
        {
            // Relative to the kubeconfig, as kubectl reads them.
            Assert.Equal(Path.Combine(directory.FullName, "certs/developer.crt"), ours.ClientCertificateFilePath);
        }
    }

    [Fact]
    public void A_missing_kubeconfig_is_named()
    {
        var path = Path.Combine(directory.FullName, "absent");

        var error = Assert.Throws<KubeConfigException>(() => KubeClients.LoadKubeconfig(path));

        Assert.Equal($"kubeconfig file not found at {path}", error.Message);
    }

    [Fact]
    public void A_kubeconfig_that_is_not_yaml_is_named_with_the_place_of_the_error()
    {
        var path = Write("broken", "clusters:\n- name: a\n  cluster: [unclosed\n");

        var error = Assert.Throws<KubeConfigException>(() => KubeClients.LoadKubeconfig(path));

        Assert.Matches($"^kubeconfig {Regex.Escape(path)} is not a valid kubeconfig: line 4, column [0-9]+: ", error.Message);
    }

    [Fact]
    public void An_empty_kubeconfig_is_named()
    {
        var path = Write("empty", string.Empty);

        var error = Assert.Throws<KubeConfigException>(() => KubeClients.LoadKubeconfig(path));

        Assert.Equal($"kubeconfig {path} is empty", error.Message);
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(directory.FullName, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static string SelfSignedPem()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=kubeconfig-test-ca", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1));
        return certificate.ExportCertificatePem();
    }
}
