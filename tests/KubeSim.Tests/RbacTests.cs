using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace IstioPodNetwork.KubeSim.Tests;

/// <summary>A service account's kubeconfig is allowed what the RBAC objects bound to it grant, and refused the rest as RBAC refuses it.</summary>
public sealed class RbacTests() : SimulatorTestBase(new KubeSimOptions { Tls = true })
{
    private const string Team = "team";
    private const string User = "system:serviceaccount:team:reader";

    [Fact]
    public async Task Roles_grant_in_their_namespace_ClusterRoles_everywhere_resourceNames_one_object_and_nothing_else_is_allowed()
    {
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Team } });
        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "allowed" } }, Team);
        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "other" } }, Team);
        await Client.RbacAuthorizationV1.CreateNamespacedRoleAsync(
            new V1Role
            {
                Metadata = new V1ObjectMeta { Name = "reader" },
                Rules =
                [
                    new V1PolicyRule { ApiGroups = [""], Resources = ["pods"], Verbs = ["get", "list"] },
                    new V1PolicyRule { ApiGroups = [""], Resources = ["configmaps"], ResourceNames = ["allowed"], Verbs = ["get"] },
                ],
            },
            Team);
        await Client.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(
            new V1RoleBinding { Metadata = new V1ObjectMeta { Name = "reader" }, RoleRef = RoleRef("Role", "reader"), Subjects = [Reader] }, Team);
        await Client.RbacAuthorizationV1.CreateClusterRoleAsync(
            new V1ClusterRole { Metadata = new V1ObjectMeta { Name = "namespace-lister" }, Rules = [new V1PolicyRule { ApiGroups = [""], Resources = ["namespaces"], Verbs = ["list"] }] });
        await Client.RbacAuthorizationV1.CreateClusterRoleBindingAsync(
            new V1ClusterRoleBinding { Metadata = new V1ObjectMeta { Name = "reader" }, RoleRef = RoleRef("ClusterRole", "namespace-lister"), Subjects = [Reader] });
        using var reader = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(
            await Sim.WriteServiceAccountKubeconfigAsync(Team, "reader", Path.Combine(Path.GetDirectoryName(Sim.KubeconfigPath)!, "reader"))));

        Assert.Empty((await reader.CoreV1.ListNamespacedPodAsync(Team)).Items);
        Assert.Contains((await reader.CoreV1.ListNamespaceAsync()).Items, n => n.Metadata.Name == Team);
        Assert.Equal("allowed", (await reader.CoreV1.ReadNamespacedConfigMapAsync("allowed", Team)).Metadata.Name);
        Assert.NotEmpty((await reader.CoreV1.GetAPIResourcesAsync()).Resources);

        await AssertRefusedAsync(
            () => reader.CoreV1.ListNamespacedPodAsync("default"),
            $"pods is forbidden: User \"{User}\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"");
        await AssertRefusedAsync(
            () => reader.CoreV1.ReadNamespacedConfigMapAsync("other", Team),
            $"configmaps \"other\" is forbidden: User \"{User}\" cannot get resource \"configmaps\" in API group \"\" in the namespace \"team\"");
        await AssertRefusedAsync(
            () => reader.CoreV1.DeleteNamespacedPodAsync("any", Team),
            $"pods \"any\" is forbidden: User \"{User}\" cannot delete resource \"pods\" in API group \"\" in the namespace \"team\"");
        await AssertRefusedAsync(
            () => reader.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch("{}", V1Patch.PatchType.MergePatch), "any", Team),
            $"pods \"any\" is forbidden: User \"{User}\" cannot patch resource \"pods/status\" in API group \"\" in the namespace \"team\"");
        await AssertRefusedAsync(
            () => reader.CoreV1.ListPodForAllNamespacesAsync(),
            $"pods is forbidden: User \"{User}\" cannot list resource \"pods\" in API group \"\" at the cluster scope");
    }

    [Fact]
    public async Task A_service_account_token_KubeSim_did_not_sign_is_refused_401()
    {
        var path = await Sim.WriteServiceAccountKubeconfigAsync(Team, "reader", Path.Combine(Path.GetDirectoryName(Sim.KubeconfigPath)!, "forged"));
        var text = await File.ReadAllTextAsync(path);
        var token = text.Split('\n').Single(l => l.Trim().StartsWith("token:", StringComparison.Ordinal)).Trim()["token:".Length..].Trim();
        // The same account with another namespace's name in place of its own: the signature no longer matches.
        await File.WriteAllTextAsync(path, text.Replace(token, token.Replace("sa.team.", "sa.kube-system.", StringComparison.Ordinal), StringComparison.Ordinal));
        using var forged = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path));

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => forged.CoreV1.ListNamespaceAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Response.StatusCode);
    }

    private static Rbacv1Subject Reader => new() { Kind = "ServiceAccount", Name = "reader", NamespaceProperty = Team };

    private static V1RoleRef RoleRef(string kind, string name) => new() { ApiGroup = "rbac.authorization.k8s.io", Kind = kind, Name = name };

    private static async Task AssertRefusedAsync(Func<Task> call, string message)
    {
        var refused = await Assert.ThrowsAsync<HttpOperationException>(call);
        Assert.Equal(HttpStatusCode.Forbidden, refused.Response.StatusCode);
        Assert.Equal(message, JsonNode.Parse(refused.Response.Content)!["message"]!.GetValue<string>());
    }
}
