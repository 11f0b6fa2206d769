using System.Globalization;

namespace IstioPodNetwork.Testing;

/// <summary>
/// A mount namespace in which /var/run/secrets/kubernetes.io/serviceaccount shows a directory of ours, as the
/// kubelet projects a pod's service account into it: what an agent reads when it runs as the DaemonSet runs it
/// (in-cluster configuration, no kubeconfig). A tmpfs over /run inside the namespace holds the mount point, so
/// nothing on the machine changes; a process started through <see cref="Enter"/> sees it. The namespace lives as
/// long as a helper process of its own; disposing ends it, and its mounts with it.
/// </summary>
public sealed class ServiceAccountMount : IAsyncDisposable
{
    public const string MountPoint = "/run/secrets/kubernetes.io/serviceaccount";

    private readonly ChildProcess holder;

    private ServiceAccountMount(ChildProcess holder) => this.holder = holder;

    /// <summary>The mount namespace's file, for nsenter --mount=.</summary>
    public string NamespaceFile => $"/proc/{holder.Id}/ns/mnt";

    /// <summary>Makes the namespace and shows <paramref name="secrets"/> (token, ca.crt, namespace) at <see cref="MountPoint"/> in it.</summary>
    public static async Task<ServiceAccountMount> StartAsync(string secrets, Action<string>? log)
    {
        var holder = ChildProcess.Start("unshare", ["--mount", "--propagation", "private", "sleep", "infinity"], log, label: "mount-ns");
        var mount = new ServiceAccountMount(holder);
        try
        {
            var ours = ResolveLink("/proc/self/ns/mnt");
            // Until unshare has run, the helper is still in this machine's mount namespace: mounting there would hide /run.
            await Eventually.HoldsAsync(
                () => Task.FromResult(ResolveLink(mount.NamespaceFile) is { } theirs && theirs != ours),
                TimeSpan.FromSeconds(10),
                "the helper in a mount namespace of its own");
            await Shell.RunAsync(mount.Enter("mount", "-t", "tmpfs", "tmpfs", "/run"));
            await Shell.RunAsync(mount.Enter("mkdir", "-p", MountPoint));
            await Shell.RunAsync(mount.Enter("mount", "--bind", secrets, MountPoint));
            return mount;
        }
        catch
        {
            await mount.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The environment of a DaemonSet's pod beside those files: the image's variables, the API at <paramref name="api"/>
    /// named as the kubelet names it, and no kubeconfig (null: removed from the environment a process inherits).
    /// </summary>
    public static Dictionary<string, string?> PodEnvironment(Uri api) => new(ImageEnvironment.Variables)
    {
        ["KUBERNETES_SERVICE_HOST"] = api.Host,
        ["KUBERNETES_SERVICE_PORT"] = api.Port.ToString(CultureInfo.InvariantCulture),
        ["KUBECONFIG"] = null,
        ["IPNC_KUBECONFIG"] = null,
    };

    /// <summary>argv running <paramref name="command"/> inside the namespace.</summary>
    public string[] Enter(params string[] command) => ["nsenter", $"--mount={NamespaceFile}", "--", .. command];

    public ValueTask DisposeAsync() => holder.DisposeAsync();

    private static string? ResolveLink(string path) => new FileInfo(path).LinkTarget;
}
