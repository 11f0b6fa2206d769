using YamlDotNet.RepresentationModel;

namespace IstioPodNetwork.Integration.Tests.Deploy;

/// <summary>
/// The names that tie the manifests' objects together (the chart's helpers produce them, which the
/// agreement tests cannot resolve): a wrong one installs cleanly and fails only at run time.
/// </summary>
public sealed class ManifestWiringTests
{
    private static readonly IReadOnlyList<YamlMappingNode> Manifests = DeployFiles.Manifests();

    [Fact]
    public void The_agent_pods_run_as_the_ServiceAccount_the_ClusterRole_is_bound_to()
    {
        var account = Manifests.OfKind("ServiceAccount");
        var binding = Manifests.OfKind("ClusterRoleBinding");
        var subject = Assert.Single(binding.Items("subjects"));

        Assert.Equal(("ServiceAccount", account.Str("metadata", "name"), account.Str("metadata", "namespace")), (subject.Str("kind"), subject.Str("name"), subject.Str("namespace")));
        Assert.Equal(("ClusterRole", Manifests.OfKind("ClusterRole").Str("metadata", "name")), (binding.Str("roleRef", "kind"), binding.Str("roleRef", "name")));
        Assert.Equal(account.Str("metadata", "name"), Manifests.OfKind("DaemonSet").Str("spec", "template", "spec", "serviceAccountName"));
    }

    [Fact]
    public void The_Role_in_the_agents_namespace_lets_their_ServiceAccount_read_their_own_DaemonSet_only()
    {
        var account = Manifests.OfKind("ServiceAccount");
        var daemonSet = Manifests.OfKind("DaemonSet");
        var role = Manifests.OfKind("Role");
        var binding = Manifests.OfKind("RoleBinding");
        var subject = Assert.Single(binding.Items("subjects"));

        Assert.Equal(("ServiceAccount", account.Str("metadata", "name"), account.Str("metadata", "namespace")), (subject.Str("kind"), subject.Str("name"), subject.Str("namespace")));
        Assert.Equal(("Role", role.Str("metadata", "name")), (binding.Str("roleRef", "kind"), binding.Str("roleRef", "name")));
        Assert.Equal(daemonSet.Str("metadata", "namespace"), role.Str("metadata", "namespace"));
        Assert.Equal(daemonSet.Str("metadata", "namespace"), binding.Str("metadata", "namespace"));
        var rule = Assert.Single(role.Items("rules"));
        Assert.Equal([daemonSet.Str("metadata", "name")], rule.Items("resourceNames").Select(n => ((YamlScalarNode)n).Value));
    }

    [Fact]
    public void The_DaemonSet_selects_its_own_pods_and_the_agents_discover_each_other_by_that_selector()
    {
        var daemonSet = Manifests.OfKind("DaemonSet");
        var selector = Labels(daemonSet.At("spec", "selector", "matchLabels"));
        var podLabels = Labels(daemonSet.At("spec", "template", "metadata", "labels"));
        var discovery = Assert.Single(daemonSet.Items("spec", "template", "spec", "containers").Single().Items("env"), e => e.Str("name") == "IPNC_DISCOVERY_SELECTOR");

        Assert.NotEmpty(selector);
        Assert.Subset(podLabels.ToHashSet(), selector.ToHashSet());
        Assert.Equal(selector, discovery.Str("value")!.Split(','));
    }

    private static List<string> Labels(YamlNode? labels) => [.. ((YamlMappingNode)labels!).Children.Select(c => $"{c.Key}={c.Value}")];
}
