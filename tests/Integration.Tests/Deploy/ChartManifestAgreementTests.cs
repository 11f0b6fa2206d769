using IstioPodNetwork.Host.Configuration;

namespace IstioPodNetwork.Integration.Tests.Deploy;

/// <summary>deploy/manifests is the chart rendered with its defaults: these keep the two from drifting apart.</summary>
public sealed class ChartManifestAgreementTests
{
    [Fact]
    public void The_manifests_hold_the_charts_objects_plus_the_namespace_they_install_into()
    {
        var chartKinds = DeployFiles.RenderedWithDefaults().Select(d => d.Str("kind")).Order(StringComparer.Ordinal);
        var manifests = DeployFiles.Manifests();

        Assert.Equal(["ClusterRole", "ClusterRoleBinding", "DaemonSet", "Role", "RoleBinding", "ServiceAccount"], chartKinds);
        Assert.Equal(["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "DaemonSet"], manifests.Select(d => d.Str("kind")));
        var ns = manifests.OfKind("Namespace");
        Assert.Equal(DeployFiles.Release, ns.Str("metadata", "name"));
        Assert.All(manifests.Where(d => d.At("metadata", "namespace") is not null), d => Assert.Equal(DeployFiles.Release, d.Str("metadata", "namespace")));
    }

    [Fact]
    public void The_manifests_agree_with_every_part_of_the_chart_the_default_values_determine()
    {
        var manifests = DeployFiles.Manifests();
        var differences = new List<string>();

        foreach (var rendered in DeployFiles.RenderedWithDefaults())
        {
            var kind = rendered.Str("kind")!;
            YamlNodes.Compare(rendered, manifests.OfKind(kind), kind, differences);
        }

        Assert.True(differences.Count == 0, "the manifests differ from the chart:\n" + string.Join('\n', differences));
    }

    [Fact]
    public void The_chart_and_the_manifests_agree_on_image_ports_environment_RBAC_host_paths_capabilities_probes_and_preStop()
    {
        var chart = DeployFacts.Of(DeployFiles.RenderedWithDefaults());
        var manifests = DeployFacts.Of(DeployFiles.Manifests());

        Assert.Equal("istio-pod-network-controller:" + DeployFiles.ChartYaml.Str("appVersion"), chart.Image);
        Assert.Equal(chart.Image, manifests.Image);
        Assert.Equal(["akka-remote=4053/TCP", "management=8558/TCP", "health=9111/TCP"], chart.Ports);
        Assert.Equal(chart.Ports, manifests.Ports);
        Assert.Equal(chart.EnvironmentNames, manifests.EnvironmentNames);
        Assert.Equal(
            [
                "ClusterRole: [] [pods] [] [get,list,watch,patch]", "ClusterRole: [] [pods/status] [] [patch]",
                "ClusterRole: [] [namespaces] [] [get,list,watch]", "ClusterRole: [] [events] [] [create,patch]",
                "Role: [apps] [daemonsets] [istio-pod-network-controller] [get]",
            ],
            manifests.RbacRules);
        // The chart names its own DaemonSet through a helper, which these tests leave unresolved (ManifestWiringTests checks the name).
        Assert.Equal(manifests.RbacRules, chart.RbacRules.Select(r => r.Replace(GoTemplate.Unknown, DeployFiles.Release, StringComparison.Ordinal)));
        Assert.Equal(["/proc (Directory) at /host/proc read-only", "/run/xtables.lock (FileOrCreate) at /run/xtables.lock"], chart.HostPaths);
        Assert.Equal(chart.HostPaths, manifests.HostPaths);
        Assert.Equal(["drop ALL", "add NET_ADMIN", "add NET_RAW", "add SYS_ADMIN", "add SYS_PTRACE"], chart.Capabilities);
        Assert.Equal(chart.Capabilities, manifests.Capabilities);
        Assert.Equal(["livenessProbe /healthz on health", "readinessProbe /readyz on health"], chart.Probes);
        Assert.Equal(chart.Probes, manifests.Probes);
        Assert.Equal(["ipnc", "cluster", "leave"], chart.PreStop);
        Assert.Equal(chart.PreStop, manifests.PreStop);
    }

    [Fact]
    public void Every_IPNC_variable_the_DaemonSet_sets_names_an_ipnc_setting_and_holds_a_value_it_accepts()
    {
        var container = DeployFiles.Manifests().OfKind("DaemonSet").Items("spec", "template", "spec", "containers").Single();
        var variables = container.Items("env").Where(e => e.Str("name")!.StartsWith("IPNC_", StringComparison.Ordinal)).ToList();

        var unknown = new List<string>();
        foreach (var variable in variables)
        {
            var (name, value) = (variable.Str("name")!, variable.Str("value")!);
            var setting = SettingsCatalog.All.SingleOrDefault(s => s.EnvironmentNames[0] == name);
            if (setting is null)
            {
                unknown.Add(name["IPNC_".Length..].ToLowerInvariant().Replace('_', '-'));
                continue;
            }

            Assert.True(setting.Check(value) is null, $"{name}={value}: expected {setting.Check(value)}");
        }

        Assert.True(variables.Count >= 15, $"only {variables.Count} IPNC_ variables found");
        Assert.Empty(unknown);
    }
}
