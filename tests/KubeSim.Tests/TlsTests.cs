using IstioPodNetwork.Testing;
using k8s;
using k8s.Models;
using Xunit.Abstractions;

namespace IstioPodNetwork.KubeSim.Tests;

public sealed class TlsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_TLS_KubeSim_is_trusted_by_kubectl_and_the_client_through_the_kubeconfigs_authority_only()
    {
        await using var sim = await KubeSimServer.StartAsync(new KubeSimOptions { Tls = true });
        Assert.Equal("https", sim.Url.Scheme);
        using var kubectl = new Kubectl(sim.KubeconfigPath, output);

        Assert.Contains("kube-system", await kubectl.OkAsync("get", "ns"), StringComparison.Ordinal);

        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(sim.KubeconfigPath));
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "secure" } });
        Assert.Contains((await client.CoreV1.ListNamespaceAsync()).Items, n => n.Metadata.Name == "secure");

        using var untrusting = new HttpClient();
        await Assert.ThrowsAsync<HttpRequestException>(() => untrusting.GetAsync(new Uri(sim.Url, "version")));
    }
}
