using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using IstioPodNetwork.KubeSim.Api;
using IstioPodNetwork.KubeSim.Auth;
using IstioPodNetwork.KubeSim.Hosting;
using IstioPodNetwork.KubeSim.Net;
using IstioPodNetwork.KubeSim.Sandbox;
using IstioPodNetwork.KubeSim.Simulation;
using IstioPodNetwork.KubeSim.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace IstioPodNetwork.KubeSim;

/// <summary>
/// A running KubeSim: a wire-faithful Kubernetes API server with simulated nodes. Dispose it to stop
/// serving and tear down every sandbox, node netns and the temporary kubeconfig.
/// </summary>
public sealed class KubeSimServer : IAsyncDisposable
{
    /// <summary>Namespaces a fresh cluster has.</summary>
    public static readonly IReadOnlyList<string> InitialNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"];

    private const string CgroupMount = "/sys/fs/cgroup";
    private static readonly string[] PreferredHierarchies = ["pids", "systemd", "unified"];

    private readonly WebApplication app;
    private readonly ObjectStore store;
    private readonly ClusterSimulator simulator;
    private readonly RequestCounter requests;
    private readonly CancellationTokenSource stopping;
    private readonly string? temporaryDirectory;
    private readonly Identities? identities;
    private readonly string? authorityPem;
    private int disposed;

    private KubeSimServer(WebApplication app, ObjectStore store, ClusterSimulator simulator, RequestCounter requests, KubeSimFaults faults, CancellationTokenSource stopping, Uri url, string token, Identities? identities, string? authorityPem, string kubeconfigPath, string? temporaryDirectory, string prefix, string clusterCidr)
    {
        this.identities = identities;
        this.authorityPem = authorityPem;
        this.app = app;
        this.store = store;
        this.simulator = simulator;
        this.requests = requests;
        this.stopping = stopping;
        this.temporaryDirectory = temporaryDirectory;
        Faults = faults;
        Url = url;
        Token = token;
        KubeconfigPath = kubeconfigPath;
        NamePrefix = prefix;
        ClusterCidr = clusterCidr;
    }

    /// <summary>http://address:port of the API.</summary>
    public Uri Url { get; }

    /// <summary>The bearer token in <see cref="KubeconfigPath"/>, a fresh one per instance; over TLS every API request must carry it.</summary>
    public string Token { get; }

    /// <summary>A kubeconfig pointing at <see cref="Url"/> (context "kubesim", namespace default).</summary>
    public string KubeconfigPath { get; }

    /// <summary>The PEM of the CA that signed the API's certificate (what the kubeconfig trusts); null over plain HTTP.</summary>
    public string? CertificateAuthority => authorityPem;

    /// <summary>
    /// Writes a kubeconfig like <see cref="KubeconfigPath"/> that acts as service account <paramref name="name"/> of
    /// namespace <paramref name="ns"/>: allowed only what the Roles and ClusterRoles bound to it grant (over TLS,
    /// where tokens are checked), as a pod running under that account is.
    /// </summary>
    public async Task<string> WriteServiceAccountKubeconfigAsync(string ns, string name, string path)
    {
        await File.WriteAllTextAsync(path, Kubeconfig.Render(Url, ServiceAccountToken(ns, name), authorityPem));
        return path;
    }

    /// <summary>
    /// Writes what the kubelet projects into a pod running as service account <paramref name="name"/> of
    /// <paramref name="ns"/> (at /var/run/secrets/kubernetes.io/serviceaccount): token, ca.crt and namespace, for a
    /// client using in-cluster configuration with KUBERNETES_SERVICE_HOST and _PORT naming <see cref="Url"/>.
    /// </summary>
    public async Task WriteServiceAccountFilesAsync(string ns, string name, string directory)
    {
        var token = ServiceAccountToken(ns, name);
        await File.WriteAllTextAsync(Path.Combine(directory, "token"), token);
        await File.WriteAllTextAsync(Path.Combine(directory, "ca.crt"), authorityPem);
        await File.WriteAllTextAsync(Path.Combine(directory, "namespace"), ns);
    }

    public KubeSimFaults Faults { get; }

    /// <summary>The prefix of every netns and interface this instance makes ("ks" + 4 hex unless configured).</summary>
    public string NamePrefix { get; }

    /// <summary>The pod network the node ranges are cut from.</summary>
    public string ClusterCidr { get; }

    public IReadOnlyList<SimulatedNode> Nodes => simulator.Nodes;

    /// <summary>Every pod sandbox currently running.</summary>
    public IReadOnlyList<PodSandbox> Sandboxes => simulator.Sandboxes;

    /// <summary>How many watches are open right now.</summary>
    public int OpenWatches => store.OpenWatchCount;

    /// <summary>The API requests served so far, by kind (a snapshot; take two and subtract for a window).</summary>
    public KubeSimRequests Requests => requests.Snapshot();

    /// <summary>How many client connections (TCP) have been accepted so far, for API and admin requests alike.</summary>
    public long ConnectionsAccepted => requests.Connections;

    public static async Task<KubeSimServer> StartAsync(KubeSimOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new KubeSimOptions();
        await NetworkSafety.CheckListenAsync(options.ListenAddress, options.ListenInterface);
        var network = new ClusterNetwork(options.ClusterCidr, options.Uplink);
        var prefix = options.NamePrefix ?? "ks" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2));
        if (prefix.Length > 8 || prefix.Any(c => !char.IsAsciiLetterOrDigit(c)))
        {
            throw new ArgumentException($"name prefix \"{prefix}\": expected at most 8 letters or digits (interface names are limited to 15 characters)");
        }

        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger("KubeSim");
        var sandboxes = CreateSandboxProvider(options, prefix, logger);

        var store = new ObjectStore(options.WatchHistory, maxWatchBacklog: 100_000);
        var registry = new ResourceRegistry(store, new KindRules(IPAddress.Parse("10.96.0.0")));
        foreach (var ns in InitialNamespaces)
        {
            registry.Create(ResourceCatalog.Namespaces, null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } });
        }

        var faults = new KubeSimFaults(store);
        var requests = new RequestCounter();
        var stopping = new CancellationTokenSource();
        var simulator = new ClusterSimulator(registry, sandboxes, network, options, logger);
        KubeSimServer? sim = null;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        var certificate = options.Tls ? ServingCertificate.Create(options.ListenAddress) : null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(options.ListenAddress, options.Port, listen =>
            {
                listen.Use(next => connection =>
                {
                    requests.CountConnection();
                    return next(connection);
                });
                if (certificate is not null)
                {
                    listen.UseHttps(certificate.Serving);
                }
            });
            kestrel.Limits.MaxRequestBodySize = 64 * 1024 * 1024;
        });
        builder.Services.AddRouting();
        var app = builder.Build();
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var identities = certificate is null ? null : new Identities(token);
        var api = new ApiHandler(registry, faults, requests, identities, options.BookmarkInterval, logger, stopping.Token);
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/kubesim"), admin =>
        {
            admin.Use(AdminEndpoints.HandleErrorsAsync);
            admin.UseRouting();
            // The endpoints are mapped before the server object exists; they look it up when called.
            admin.UseEndpoints(endpoints => AdminEndpoints.Map(endpoints, () => sim!));
        });
        app.Run(api.HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var url = new Uri(address.Replace("[::]", "localhost", StringComparison.Ordinal));
            string? temporary = null;
            var kubeconfigPath = options.KubeconfigPath;
            if (kubeconfigPath is null)
            {
                temporary = Directory.CreateTempSubdirectory("kubesim-").FullName;
                kubeconfigPath = Path.Combine(temporary, "kubeconfig");
            }

            await File.WriteAllTextAsync(kubeconfigPath, Kubeconfig.Render(url, token, certificate?.AuthorityPem), cancellationToken);
            sim = new KubeSimServer(app, store, simulator, requests, faults, stopping, url, token, identities, certificate?.AuthorityPem, Path.GetFullPath(kubeconfigPath), temporary, prefix, network.Cluster.ToString());
            foreach (var node in options.Nodes)
            {
                await sim.RegisterNodeAsync(node, cancellationToken: cancellationToken);
            }

            logger.LogInformation("KubeSim serving {Url} (cluster network {Cidr}, sandboxes {Sandbox}, prefix {Prefix})", url, network.Cluster, options.Sandbox, prefix);
            return sim;
        }
        catch
        {
            if (sim is not null)
            {
                await sim.DisposeAsync();
            }
            else
            {
                await app.DisposeAsync();
                await simulator.DisposeAsync();
                stopping.Dispose();
            }

            throw;
        }
    }

    /// <summary>Registers a simulated node (idempotent): a Node object, a pod range and, with sandboxes, a node netns.</summary>
    public Task<SimulatedNode> RegisterNodeAsync(string name, NodeOptions? options = null, CancellationToken cancellationToken = default) =>
        simulator.RegisterNodeAsync(name, options, cancellationToken);

    /// <summary>The sandbox of a running pod, or null while it is not running (or not on a simulated node).</summary>
    public PodSandbox? FindSandbox(string ns, string name) => simulator.FindSandbox(ns, name);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }

        await stopping.CancelAsync();
        store.EndWatches(WatchEnd.ServerStopping);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await app.StopAsync(timeout.Token);
        }

        await app.DisposeAsync();
        await simulator.DisposeAsync();
        stopping.Dispose();
        if (temporaryDirectory is not null)
        {
            Directory.Delete(temporaryDirectory, recursive: true);
        }
    }

    private string ServiceAccountToken(string ns, string name) =>
        (identities ?? throw new InvalidOperationException("service-account identities need TLS (KubeSimOptions.Tls, --tls): over plain HTTP no token is checked"))
            .IssueServiceAccountToken(ns, name);

    private static ISandboxProvider CreateSandboxProvider(KubeSimOptions options, string prefix, ILogger logger)
    {
        if (options.Sandbox == SandboxKind.None)
        {
            return options.Uplink is null
                ? new NoSandboxProvider()
                : throw new ArgumentException("uplink: only the netns sandbox provider makes node network namespaces to connect");
        }

        if (!Environment.IsPrivilegedProcess)
        {
            throw new InvalidOperationException("the netns sandbox provider needs root (it creates network namespaces and cgroups); use SandboxKind.None otherwise");
        }

        if (options.Uplink is { } uplink && !Directory.Exists($"/sys/class/net/{uplink.Bridge}/bridge"))
        {
            throw new ArgumentException($"uplink bridge \"{uplink.Bridge}\": no such bridge in this network namespace (the caller creates it)");
        }

        var hierarchies = options.CgroupHierarchies ?? DefaultHierarchies();
        foreach (var hierarchy in hierarchies)
        {
            if (hierarchy is "memory" || !File.Exists(Path.Combine(CgroupMount, hierarchy, "cgroup.procs")))
            {
                throw new ArgumentException($"cgroup hierarchy \"{hierarchy}\": expected a mounted hierarchy under {CgroupMount} other than memory (e.g. pids, systemd, unified)");
            }
        }

        return new NetnsSandboxProvider(prefix, CgroupMount, hierarchies, options.Uplink, logger);
    }

    private static List<string> DefaultHierarchies()
    {
        List<string> mounted = [.. PreferredHierarchies.Where(h => File.Exists(Path.Combine(CgroupMount, h, "cgroup.procs")))];
        return mounted.Count > 0 || !File.Exists(Path.Combine(CgroupMount, "cgroup.controllers")) ? mounted : [string.Empty];
    }
}
