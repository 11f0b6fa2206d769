using System.Text.Json.Nodes;
using IstioPodNetwork.Testing;
using Xunit.Abstractions;

namespace IstioPodNetwork.KubeSim.Tests;

/// <summary>One KubeSim (two simulated nodes, no sandboxes) and a kubectl with its own cache, per test.</summary>
public abstract class KubectlTestBase(ITestOutputHelper output) : SimulatorTestBase(new KubeSimOptions { Nodes = ["node-a", "node-b"] })
{
    private readonly List<string> manifests = [];

    protected ITestOutputHelper Output { get; } = output;

    internal Kubectl Kubectl { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Kubectl = new Kubectl(Sim.KubeconfigPath, Output);
    }

    public override async Task DisposeAsync()
    {
        Kubectl.Dispose();
        foreach (var file in manifests)
        {
            File.Delete(file);
        }

        await base.DisposeAsync();
    }

    protected async Task<JsonObject> GetJsonAsync(params string[] args) =>
        JsonNode.Parse(await Kubectl.OkAsync(["get", .. args, "-o", "json"]))!.AsObject();

    /// <summary>Writes a manifest to a temporary file, removed after the test.</summary>
    protected async Task<string> WriteManifestAsync(string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"kubesim-{Guid.NewGuid():N}.yaml");
        manifests.Add(path);
        await File.WriteAllTextAsync(path, text);
        return path;
    }

    protected Task WaitUntilRunningAsync(string pod, string ns = "default") =>
        Eventually.HoldsAsync(
            async () => (await Kubectl.RunAsync("get", "pod", pod, "-n", ns, "-o", "jsonpath={.status.phase}")).Output == "Running",
            Bound,
            $"pod {ns}/{pod} Running");
}

public sealed class KubectlReadTests(ITestOutputHelper output) : KubectlTestBase(output)
{
    [Fact]
    public async Task Get_ns_lists_the_namespaces_a_fresh_cluster_has_as_a_table()
    {
        var lines = (await Kubectl.OkAsync("get", "ns")).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Matches(@"^NAME\s+STATUS\s+AGE$", lines[0]);
        Assert.Equal(
            ["default", "kube-node-lease", "kube-public", "kube-system"],
            lines.Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]).ToArray());
        Assert.All(lines.Skip(1), l => Assert.Contains(" Active ", l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Get_pods_all_namespaces_shows_scheduled_pods_running_with_IPs_from_their_nodes_ranges()
    {
        await Kubectl.OkAsync("create", "namespace", "team-a");
        await Kubectl.OkAsync("run", "web", "--image", "nginx:1.27");
        await Kubectl.OkAsync("run", "api", "--image", "nginx:1.27", "-n", "team-a");
        await WaitUntilRunningAsync("web");
        await WaitUntilRunningAsync("api", "team-a");

        var lines = (await Kubectl.OkAsync("get", "pods", "-A", "-o", "wide")).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Matches(@"^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE", lines[0]);
        var rows = lines.Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Equal(["default/web", "team-a/api"], rows.Select(r => $"{r[0]}/{r[1]}").Order().ToArray());
        foreach (var row in rows)
        {
            Assert.Equal(["1/1", "Running"], row[2..4]);
            var node = Assert.Single(Sim.Nodes, n => n.Name == row[7]);
            Assert.StartsWith(node.PodCidr[..node.PodCidr.LastIndexOf('.')] + ".", row[6], StringComparison.Ordinal);
        }
    }
}

public sealed class KubectlWriteTests(ITestOutputHelper output) : KubectlTestBase(output)
{
    [Fact]
    public async Task Annotate_and_label_change_a_namespace_and_a_pod()
    {
        await Kubectl.OkAsync("run", "web", "--image", "nginx:1.27");

        Assert.Equal("namespace/default annotated", (await Kubectl.OkAsync("annotate", "namespace", "default", "foo=bar")).Trim());
        Assert.Equal("namespace/default labeled", (await Kubectl.OkAsync("label", "namespace", "default", "team=a")).Trim());
        Assert.Equal("pod/web annotated", (await Kubectl.OkAsync("annotate", "pod", "web", "istio-pod-network-controller/initialize=true")).Trim());
        Assert.Equal("pod/web labeled", (await Kubectl.OkAsync("label", "pod", "web", "tier=front")).Trim());

        var ns = await GetJsonAsync("namespace", "default");
        Assert.Equal("bar", ns.Str("metadata", "annotations", "foo"));
        Assert.Equal("a", ns.Str("metadata", "labels", "team"));
        var pod = await GetJsonAsync("pod", "web");
        Assert.Equal("true", pod.Str("metadata", "annotations", "istio-pod-network-controller/initialize"));
        Assert.Equal("front", pod.Str("metadata", "labels", "tier"));
    }

    [Fact]
    public async Task Delete_pod_returns_once_the_simulated_kubelet_has_removed_it()
    {
        await Kubectl.OkAsync("run", "web", "--image", "nginx:1.27");
        await WaitUntilRunningAsync("web");

        Assert.Equal("pod \"web\" deleted", (await Kubectl.OkAsync("delete", "pod", "web")).Trim());

        var after = await Kubectl.RunAsync("get", "pod", "web");
        Assert.Equal(1, after.ExitCode);
        Assert.Contains("Error from server (NotFound): pods \"web\" not found", after.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_from_flags_sends_protobuf_which_is_decoded_for_namespaces_configmaps_secrets_and_serviceaccounts()
    {
        Assert.Equal("namespace/team-a created", (await Kubectl.OkAsync("create", "namespace", "team-a")).Trim());
        Assert.Equal("configmap/settings created", (await Kubectl.OkAsync("create", "configmap", "settings", "-n", "team-a", "--from-literal=a=1", "--from-literal=b=two")).Trim());
        Assert.Equal("secret/token created", (await Kubectl.OkAsync("create", "secret", "generic", "token", "-n", "team-a", "--from-literal=key=s3cret")).Trim());
        Assert.Equal("serviceaccount/robot created", (await Kubectl.OkAsync("create", "serviceaccount", "robot", "-n", "team-a")).Trim());

        Assert.Equal("""{"a":"1","b":"two"}""", await Kubectl.OkAsync("get", "configmap", "settings", "-n", "team-a", "-o", "jsonpath={.data}"));
        Assert.Equal("Opaque czNjcmV0", await Kubectl.OkAsync("get", "secret", "token", "-n", "team-a", "-o", "jsonpath={.type} {.data.key}"));
        Assert.Equal("robot", await Kubectl.OkAsync("get", "serviceaccount", "robot", "-n", "team-a", "-o", "jsonpath={.metadata.name}"));
    }

    [Fact]
    public async Task Deleting_a_namespace_removes_its_pods_first_and_the_default_namespace_cannot_be_deleted()
    {
        await Kubectl.OkAsync("create", "namespace", "team-a");
        await Kubectl.OkAsync("run", "web", "-n", "team-a", "--image", "nginx:1.27");
        await WaitUntilRunningAsync("web", "team-a");

        Assert.Equal("namespace \"team-a\" deleted", (await Kubectl.OkAsync("delete", "namespace", "team-a")).Trim());
        var gone = await Kubectl.RunAsync("get", "namespace", "team-a");
        var refused = await Kubectl.RunAsync("delete", "namespace", "default");

        Assert.Contains("Error from server (NotFound): namespaces \"team-a\" not found", gone.All, StringComparison.Ordinal);
        Assert.Contains("Error from server (Forbidden): namespaces \"default\" is forbidden: this namespace may not be deleted", refused.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_of_an_existing_object_fails_with_AlreadyExists()
    {
        var file = await WriteManifestAsync("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: \"1\"\n");
        Assert.Equal("configmap/settings created", (await Kubectl.OkAsync("create", "-f", file)).Trim());

        var again = await Kubectl.RunAsync("create", "-f", file);

        Assert.Equal(1, again.ExitCode);
        Assert.Contains($"Error from server (AlreadyExists): error when creating \"{file}\": configmaps \"settings\" already exists", again.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replace_with_a_stale_resourceVersion_fails_with_Conflict()
    {
        await Kubectl.OkAsync("create", "-f", await WriteManifestAsync("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: \"1\"\n"));
        var stale = await WriteManifestAsync(await Kubectl.OkAsync("get", "configmap", "settings", "-o", "yaml"));
        await Kubectl.OkAsync("annotate", "configmap", "settings", "changed=yes");

        var replace = await Kubectl.RunAsync("replace", "-f", stale);

        Assert.Equal(1, replace.ExitCode);
        Assert.Contains(
            $"Error from server (Conflict): error when replacing \"{stale}\": Operation cannot be fulfilled on configmaps \"settings\": the object has been modified; please apply your changes to the latest version and try again",
            replace.All,
            StringComparison.Ordinal);
    }
}

public sealed class KubectlApplyTests(ITestOutputHelper output) : KubectlTestBase(output)
{
    private static readonly string Bookinfo = RepoRoot.File("examples", "bookinfo.yaml");

    [Fact]
    public async Task Applying_bookinfo_twice_changes_nothing_the_second_time_and_a_changed_image_keeps_containers_and_ports()
    {
        var first = await Kubectl.OkAsync("apply", "-f", Bookinfo);
        Assert.Equal(14, first.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.EndsWith(" created", StringComparison.Ordinal)));
        await Eventually.HoldsAsync(
            async () => (await Kubectl.RunAsync("get", "pods", "-l", "app=reviews", "--field-selector", "status.phase=Running", "-o", "name")).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == 3,
            Bound,
            "three reviews pods Running");

        var second = (await Kubectl.OkAsync("apply", "-f", Bookinfo)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(14, second.Length);
        Assert.All(second, line => Assert.EndsWith(" unchanged", line, StringComparison.Ordinal));
        var generations = (await GetJsonAsync("deployments"))["items"]!.AsArray().Select(d => d.Long("metadata", "generation"));
        Assert.All(generations, g => Assert.Equal(1, g));

        var changed = await WriteManifestAsync((await File.ReadAllTextAsync(Bookinfo)).Replace("examples-bookinfo-reviews-v1:1.20.1", "examples-bookinfo-reviews-v1:1.20.2", StringComparison.Ordinal));
        var third = await Kubectl.OkAsync("apply", "-f", changed);
        Assert.Equal(["deployment.apps/reviews-v1 configured"], third.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.EndsWith(" unchanged", StringComparison.Ordinal)).ToArray());

        var raw = await Kubectl.OkAsync("get", "deployment", "reviews-v1", "-o", "json");
        Assert.DoesNotContain("$setElementOrder", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("$patch", raw, StringComparison.Ordinal);
        var deployment = JsonNode.Parse(raw)!.AsObject();
        Assert.Equal(2, deployment.Long("metadata", "generation"));
        var container = Assert.Single(deployment.At("spec", "template", "spec", "containers")!.AsArray())!;
        Assert.Equal("docker.io/istio/examples-bookinfo-reviews-v1:1.20.2", container.Str("image"));
        Assert.Equal(9080, Assert.Single(container["ports"]!.AsArray()).Long("containerPort"));
        Assert.Equal("/tmp/logs", Assert.Single(container["env"]!.AsArray()).Str("value"));
        Assert.Equal(["/tmp", "/opt/ibm/wlp/output"], container["volumeMounts"]!.AsArray().Select(m => m.Str("mountPath") ?? "").ToArray());
        Assert.Equal(2, deployment.At("spec", "template", "spec", "volumes")!.AsArray().Count);
        await Eventually.HoldsAsync(
            async () => (await Kubectl.RunAsync("get", "pods", "-l", "app=reviews,version=v1", "-o", "jsonpath={.items[*].spec.containers[*].image}")).Output == "docker.io/istio/examples-bookinfo-reviews-v1:1.20.2",
            Bound,
            "the reviews-v1 pod replaced by one running the new image");
    }
}

public sealed class KubectlWorkloadTests(ITestOutputHelper output) : KubectlTestBase(output)
{
    [Fact]
    public async Task Server_side_apply_creates_then_merges_keeping_list_elements_by_key()
    {
        var bookinfo = RepoRoot.File("examples", "bookinfo.yaml");

        var first = (await Kubectl.OkAsync("apply", "--server-side", "-f", bookinfo)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var second = (await Kubectl.OkAsync("apply", "--server-side", "-f", bookinfo)).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(14, first.Length);
        Assert.All(first.Concat(second), l => Assert.EndsWith(" serverside-applied", l, StringComparison.Ordinal));
        var deployment = await GetJsonAsync("deployment", "productpage-v1");
        Assert.Equal(1, deployment.Long("metadata", "generation"));
        var container = Assert.Single(deployment.At("spec", "template", "spec", "containers")!.AsArray())!;
        Assert.Equal(9080, Assert.Single(container["ports"]!.AsArray()).Long("containerPort"));
        Assert.Equal("true", deployment.Str("spec", "template", "metadata", "annotations", "prometheus.io/scrape"));
    }
}

public sealed class KubectlScaleTests(ITestOutputHelper output) : KubectlTestBase(output)
{
    [Fact]
    public async Task Scale_sets_replicas_through_the_scale_subresource_and_the_pods_follow()
    {
        await Kubectl.OkAsync("apply", "-f", RepoRoot.File("examples", "bookinfo.yaml"));

        Assert.Equal("deployment.apps/ratings-v1 scaled", (await Kubectl.OkAsync("scale", "deployment", "ratings-v1", "--replicas=3")).Trim());

        await Eventually.HoldsAsync(
            async () => (await Kubectl.RunAsync("get", "deployment", "ratings-v1", "-o", "jsonpath={.status.readyReplicas}")).Output == "3",
            Bound,
            "three ready ratings replicas");
        Assert.Equal("deployment.apps/ratings-v1 scaled", (await Kubectl.OkAsync("scale", "deployment", "ratings-v1", "--replicas=1")).Trim());
        await Eventually.HoldsAsync(
            async () => (await Kubectl.RunAsync("get", "pods", "-l", "app=ratings", "-o", "name")).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == 1,
            Bound,
            "one ratings pod left");
    }
}

public sealed class KubectlWatchTests(ITestOutputHelper output) : KubectlTestBase(output)
{
    [Fact]
    public async Task Get_pods_watch_prints_changes_made_after_it_started()
    {
        await Kubectl.OkAsync("run", "web", "--image", "nginx:1.27");
        await WaitUntilRunningAsync("web");
        await using var watch = Kubectl.Start("get", "pods", "-w");
        await watch.WaitForLineAsync(l => l.StartsWith("web ", StringComparison.Ordinal) && l.Contains("Running", StringComparison.Ordinal), Bound, "the listed pod");

        await Kubectl.OkAsync("delete", "pod", "web", "--wait=false");

        await watch.WaitForLineAsync(l => l.StartsWith("web ", StringComparison.Ordinal) && l.Contains("Terminating", StringComparison.Ordinal), Bound, "the pod Terminating");
    }
}
