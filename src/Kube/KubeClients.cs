using k8s;

namespace IstioPodNetwork.Kube;

/// <summary>Builds the API client the way a DaemonSet pod and a developer's laptop both expect.</summary>
public static class KubeClients
{
    /// <summary>
    /// A kubeconfig file when one is named, otherwise in-cluster configuration
    /// (service-account token and KUBERNETES_SERVICE_HOST).
    /// </summary>
    public static IKubernetes Create(string? kubeconfigPath)
    {
        KubernetesClientConfiguration configuration;
        if (!string.IsNullOrEmpty(kubeconfigPath))
        {
            configuration = KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfigPath);
        }
        else if (KubernetesClientConfiguration.IsInCluster())
        {
            configuration = KubernetesClientConfiguration.InClusterConfig();
        }
        else
        {
            throw new InvalidOperationException(
                "no Kubernetes API to talk to: give --kubeconfig (or KUBECONFIG), or run in a pod with a service-account token");
        }

        // Watches are long-lived; each call has its own cancellation instead of a global timeout.
        configuration.HttpClientTimeout = Timeout.InfiniteTimeSpan;
        return new Kubernetes(configuration);
    }
}
