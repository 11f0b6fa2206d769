using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using IstioPodNetwork.Kube.Models;
using k8s;
using k8s.Exceptions;
using k8s.KubeConfigModels;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace IstioPodNetwork.Kube;

/// <summary>
/// Builds the API client the way a DaemonSet pod and a developer's laptop both expect. In a pod (in-cluster
/// configuration) it is this project's own few lines: the server from KUBERNETES_SERVICE_HOST/_PORT, trust in the
/// service account's ca.crt, its token on every request. KubernetesClient is not even loaded for it: its assembly
/// (~6,000 types) and its client (an object of 68 interfaces) cost an agent ~7 MB resident and ~30 ms of CPU as it
/// starts, measured alone. A kubeconfig (a developer's, the tests') is read by KubernetesClient, with all it
/// supports: client certificates, exec plugins, token files.
/// </summary>
public static class KubeClients
{
    /// <summary>Where the kubelet mounts the pod's service-account token, CA certificate and namespace.</summary>
    public const string ServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";

    public const string ServiceAccountTokenFile = ServiceAccountDirectory + "/token";

    public const string ServiceAccountCaFile = ServiceAccountDirectory + "/ca.crt";

    public const string ServiceAccountNamespaceFile = ServiceAccountDirectory + "/namespace";

    /// <summary>
    /// The kubeconfig models name their keys themselves; what KubernetesYaml prepares on first use (attribute
    /// overrides for every property of every API model, a map of every model type) is for manifests, not kubeconfigs.
    /// </summary>
    private static readonly IDeserializer KubeconfigYaml = new DeserializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .IgnoreUnmatchedProperties()
        .Build();

    /// <summary>
    /// A kubeconfig file when one is named, otherwise in-cluster configuration (service-account token and
    /// KUBERNETES_SERVICE_HOST). A configuration that cannot be used throws <see cref="InvalidOperationException"/>.
    /// </summary>
    public static KubeApi Create(string? kubeconfigPath)
    {
        if (!string.IsNullOrEmpty(kubeconfigPath))
        {
            return new KubeApi(FromKubeconfig(kubeconfigPath));
        }

        if (InClusterServer() is { } server)
        {
            return new KubeApi(InCluster(server));
        }

        throw new InvalidOperationException(
            "no Kubernetes API to talk to: give --kubeconfig (or KUBECONFIG), or run in a pod with a service-account token");
    }

    /// <summary>The API server a pod is given (KUBERNETES_SERVICE_HOST and _PORT), when this runs in a pod with a service-account token.</summary>
    internal static Uri? InClusterServer()
    {
        var host = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST");
        var port = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT");
        if (string.IsNullOrEmpty(host) || string.IsNullOrEmpty(port) || !File.Exists(ServiceAccountTokenFile))
        {
            return null;
        }

        return int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is > 0 and < 65536
            ? new UriBuilder(Uri.UriSchemeHttps, host, number).Uri
            : throw new InvalidOperationException($"KUBERNETES_SERVICE_PORT is \"{port}\", not a port number");
    }

    private static KubeConnection InCluster(Uri server)
    {
        var token = new ServiceAccountToken(ServiceAccountTokenFile);
        var authorities = new X509Certificate2Collection();
        if (File.Exists(ServiceAccountCaFile))
        {
            try
            {
                authorities.ImportFromPemFile(ServiceAccountCaFile);
            }
            catch (CryptographicException e)
            {
                throw new InvalidOperationException($"{ServiceAccountCaFile} holds no usable PEM certificate: {e.Message}", e);
            }
        }

        var handler = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, errors) => IsTrusted(certificate, errors, authorities) },
            // As client-go checks its HTTP/2 connection: a ping after 30 s without a frame, given up on after 15 s,
            // so a watch on a connection that died silently fails over instead of waiting for its own timeout.
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(15),
            EnableMultipleHttp2Connections = true,
        };
        // Watches are long-lived; each call has its own cancellation instead of a global timeout.
        var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        return new KubeConnection(
            http,
            server,
            (request, _) =>
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Current());
                return Task.CompletedTask;
            },
            http);
    }

    /// <summary>
    /// The server's certificate names the address asked for and chains to the cluster's CA (the service account's
    /// ca.crt), or to a root this machine trusts.
    /// </summary>
    internal static bool IsTrusted(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection authorities)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (errors != SslPolicyErrors.RemoteCertificateChainErrors || certificate is null || authorities.Count == 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(presented);
    }

    /// <summary>KubernetesClient's reading of a kubeconfig; the only path that loads it.</summary>
    private static KubeConnection FromKubeconfig(string kubeconfigPath)
    {
        KubernetesClientConfiguration configuration;
        try
        {
            configuration = KubernetesClientConfiguration.BuildConfigFromConfigObject(LoadKubeconfig(kubeconfigPath));
        }
        catch (KubeConfigException e)
        {
            throw new InvalidOperationException(e.Message, e);
        }

        // Watches are long-lived; each call has its own cancellation instead of a global timeout.
        configuration.HttpClientTimeout = Timeout.InfiniteTimeSpan;
        // Given here, the client's own serializer (KubernetesJson) is never set up: KubeApi reads the answers.
        SetJsonSerializerOptions(configuration, KubeJson.Default.Options);
        var client = new Kubernetes(configuration);
        return new KubeConnection(
            client.HttpClient,
            client.BaseUri,
            (request, cancellation) => client.Credentials?.ProcessHttpRequestAsync(request, cancellation) ?? Task.CompletedTask,
            client);
    }

    /// <summary>
    /// KubernetesClient has no public way to give a client JSON options without first setting up its own
    /// serializer, which loads all ~850 API types (~7 MB resident, measured alone). The setter is private;
    /// a KubernetesClient without it fails every agent test at start (MissingMethodException), not silently.
    /// </summary>
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_JsonSerializerOptions")]
    private static extern void SetJsonSerializerOptions(KubernetesClientConfiguration configuration, System.Text.Json.JsonSerializerOptions options);

    /// <summary>A kubeconfig file as KubernetesClient reads it (YAML merge keys, paths relative to the file).</summary>
    public static K8SConfiguration LoadKubeconfig(string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new KubeConfigException($"kubeconfig file not found at {file.FullName}");
        }

        K8SConfiguration? config;
        try
        {
            using var reader = file.OpenText();
            config = KubeconfigYaml.Deserialize<K8SConfiguration?>(new MergingParser(new Parser(reader)));
        }
        catch (YamlException e)
        {
            throw new KubeConfigException($"kubeconfig {file.FullName} is not a valid kubeconfig: line {e.Start.Line}, column {e.Start.Column}: {e.Message}", e);
        }

        config = config ?? throw new KubeConfigException($"kubeconfig {file.FullName} is empty");
        config.FileName = file.FullName;
        return config;
    }
}
