using IstioPodNetwork.KubeSim;
using IstioPodNetwork.Testing;
using k8s;
using k8s.Models;
using Xunit.Abstractions;

namespace IstioPodNetwork.Integration.Tests.Deploy;

/// <summary>`kubectl apply -f deploy/manifests/` against a KubeSim of three nodes, as an operator would install.</summary>
public sealed class ManifestInstallTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Namespace = DeployFiles.Release;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private KubeSimServer sim = null!;
    private Kubectl kubectl = null!;

    public async Task InitializeAsync()
    {
        sim = await KubeSimServer.StartAsync(new KubeSimOptions { Nodes = ["node-a", "node-b", "node-c"] });
        kubectl = new Kubectl(sim.KubeconfigPath, output);
    }

    public async Task DisposeAsync()
    {
        kubectl.Dispose();
        await sim.DisposeAsync();
    }

    [Fact]
    public async Task Applying_the_manifests_runs_one_agent_per_node_on_the_nodes_IP_and_applying_again_changes_nothing()
    {
        var first = Lines(await kubectl.OkAsync("apply", "-f", DeployFiles.ManifestsDirectory));

        Assert.Equal(
            [
                $"namespace/{Namespace} created",
                $"serviceaccount/{Namespace} created",
                $"clusterrole.rbac.authorization.k8s.io/{Namespace} created",
                $"clusterrolebinding.rbac.authorization.k8s.io/{Namespace} created",
                $"role.rbac.authorization.k8s.io/{Namespace} created",
                $"rolebinding.rbac.authorization.k8s.io/{Namespace} created",
                $"daemonset.apps/{Namespace} created",
            ],
            first);
        await kubectl.OkAsync("rollout", "status", "daemonset/" + Namespace, "-n", Namespace, "--timeout", $"{Bound.TotalSeconds}s");

        var pods = KubernetesJson.Deserialize<V1PodList>(await kubectl.OkAsync("get", "pods", "-n", Namespace, "-o", "json")).Items;
        Assert.Equal(sim.Nodes.Select(n => n.Name).Order(), pods.Select(p => p.Spec.NodeName).Order());
        foreach (var pod in pods)
        {
            var node = sim.Nodes.Single(n => n.Name == pod.Spec.NodeName);
            Assert.True(pod.Spec.HostNetwork, $"{pod.Name()} is not on the host network");
            Assert.Equal(node.InternalIp.ToString(), pod.Status.PodIP);
            AssertAgentContainer(Assert.Single(pod.Spec.Containers), pod.Spec.Volumes);
        }

        // The agents find each other by the selector they are given: it must select exactly them.
        var selector = Assert.Single(pods.Select(p => p.Spec.Containers[0].Env.Single(e => e.Name == "IPNC_DISCOVERY_SELECTOR").Value).Distinct());
        var selected = Lines(await kubectl.OkAsync("get", "pods", "-n", Namespace, "-l", selector, "-o", "name"));
        Assert.Equal(pods.Select(p => "pod/" + p.Name()).Order(), selected.Order());

        var second = Lines(await kubectl.OkAsync("apply", "-f", DeployFiles.ManifestsDirectory));
        Assert.Equal(7, second.Count);
        Assert.All(second, line => Assert.EndsWith(" unchanged", line, StringComparison.Ordinal));
        var after = KubernetesJson.Deserialize<V1PodList>(await kubectl.OkAsync("get", "pods", "-n", Namespace, "-o", "json")).Items;
        Assert.Equal(pods.Select(p => p.Uid()).Order(), after.Select(p => p.Uid()).Order());
    }

    [Fact]
    public async Task The_examples_apply_next_to_the_manifests_and_their_pods_run()
    {
        await kubectl.OkAsync("apply", "-f", DeployFiles.ManifestsDirectory);

        var applied = Lines(await kubectl.OkAsync(
            "apply", "-f", RepoRoot.File("examples", "namespace.yaml"), "-f", RepoRoot.File("examples", "pod-opt-out.yaml"), "-f", RepoRoot.File("examples", "pod-with-wait.yaml")));

        Assert.Equal(["namespace/bookinfo created", "pod/curl-no-mesh created", "pod/details-with-wait created"], applied);
        foreach (var pod in new[] { "curl-no-mesh", "details-with-wait" })
        {
            await Eventually.HoldsAsync(
                async () => (await kubectl.RunAsync("get", "pod", pod, "-n", "bookinfo", "-o", "jsonpath={.status.phase}")).Output == "Running",
                Bound,
                $"pod bookinfo/{pod} Running");
        }

        var again = Lines(await kubectl.OkAsync(
            "apply", "-f", RepoRoot.File("examples", "namespace.yaml"), "-f", RepoRoot.File("examples", "pod-opt-out.yaml"), "-f", RepoRoot.File("examples", "pod-with-wait.yaml")));
        Assert.All(again, line => Assert.EndsWith(" unchanged", line, StringComparison.Ordinal));
    }

    private static void AssertAgentContainer(V1Container agent, IList<V1Volume> volumes)
    {
        Assert.Equal(
            [("akka-remote", 4053), ("management", 8558), ("health", 9111)],
            agent.Ports.Select(p => (p.Name, p.ContainerPort)));
        Assert.Equal(
            [("NODE_NAME", "spec.nodeName"), ("POD_IP", "status.podIP"), ("POD_NAMESPACE", "metadata.namespace")],
            agent.Env.Where(e => e.ValueFrom?.FieldRef is not null).Select(e => (e.Name, e.ValueFrom.FieldRef.FieldPath)));
        Assert.Equal("/host/proc", agent.Env.Single(e => e.Name == "IPNC_PROC_ROOT").Value);

        var proc = Assert.Single(agent.VolumeMounts, m => m.MountPath == "/host/proc");
        Assert.True(proc.ReadOnlyProperty, "/host/proc is writable");
        Assert.Equal("/proc", volumes.Single(v => v.Name == proc.Name).HostPath.Path);

        Assert.Equal(["ipnc", "cluster", "leave"], agent.Lifecycle.PreStop.Exec.Command);
        Assert.False(agent.SecurityContext.Privileged);
        Assert.Equal(["ALL"], agent.SecurityContext.Capabilities.Drop);
        Assert.Equal(["NET_ADMIN", "NET_RAW", "SYS_ADMIN", "SYS_PTRACE"], agent.SecurityContext.Capabilities.Add);
    }

    private static List<string> Lines(string text) => [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
}
