namespace IstioPodNetwork.Testing;

/// <summary>deploy/manifests, applied with the real kubectl: the agents' namespace, ServiceAccount, RBAC and DaemonSet.</summary>
public static class ShippedManifests
{
    /// <summary>Where the manifests install the agents, and the ServiceAccount they run as.</summary>
    public const string AgentNamespace = "istio-pod-network-controller";
    public const string ServiceAccount = "istio-pod-network-controller";

    /// <summary>Applies them to the API of <paramref name="kubeconfig"/>; kubectl's discovery cache goes under <paramref name="directory"/>.</summary>
    public static async Task ApplyAsync(string kubeconfig, string directory, Action<string>? log)
    {
        // A fresh discovery cache: kubectl caches per host and port, and a reused port must never see stale discovery.
        var applied = await Shell.RunAsync(
            ["kubectl", "--kubeconfig", kubeconfig, "--cache-dir", Path.Combine(directory, "kubectl-cache"), "apply", "-f", RepoRoot.File("deploy", "manifests")]);
        foreach (var line in applied.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            log?.Invoke($"[kubectl] {line}");
        }
    }
}
