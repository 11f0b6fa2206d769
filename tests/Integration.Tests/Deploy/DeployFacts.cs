using YamlDotNet.RepresentationModel;

namespace IstioPodNetwork.Integration.Tests.Deploy;

/// <summary>What matters most about an install, read the same way from the chart and from the manifests.</summary>
internal sealed record DeployFacts(
    string? Image,
    IReadOnlyList<string> Ports,
    IReadOnlyList<string> EnvironmentNames,
    IReadOnlyList<string> RbacRules,
    IReadOnlyList<string> HostPaths,
    IReadOnlyList<string> Capabilities,
    IReadOnlyList<string> Probes,
    IReadOnlyList<string> PreStop)
{
    public static DeployFacts Of(IReadOnlyList<YamlMappingNode> documents)
    {
        var pod = documents.OfKind("DaemonSet").At("spec", "template", "spec");
        var container = Assert.Single(pod.Items("containers"));
        var volumes = pod.Items("volumes").ToDictionary(v => v.Str("name")!);
        return new DeployFacts(
            container.Str("image"),
            [.. container.Items("ports").Select(p => $"{p.Str("name")}={p.Str("containerPort")}/{p.Str("protocol")}")],
            [.. container.Items("env").Select(e => e.Str("name")!)],
            [.. new[] { "ClusterRole", "Role" }.SelectMany(kind => documents.OfKind(kind).Items("rules").Select(r => $"{kind}: {List(r, "apiGroups")} {List(r, "resources")} {List(r, "resourceNames")} {List(r, "verbs")}"))],
            [.. container.Items("volumeMounts").Select(m => $"{volumes[m.Str("name")!].Str("hostPath", "path")} ({volumes[m.Str("name")!].Str("hostPath", "type")}) at {m.Str("mountPath")}{(m.Str("readOnly") == "true" ? " read-only" : string.Empty)}")],
            [.. container.Items("securityContext", "capabilities", "drop").Select(c => "drop " + Scalar(c)), .. container.Items("securityContext", "capabilities", "add").Select(c => "add " + Scalar(c))],
            [.. new[] { "livenessProbe", "readinessProbe" }.Select(p => $"{p} {container.Str(p, "httpGet", "path")} on {container.Str(p, "httpGet", "port")}")],
            [.. container.Items("lifecycle", "preStop", "exec", "command").Select(Scalar)]);
    }

    private static string List(YamlNode rule, string key) => "[" + string.Join(",", rule.Items(key).Select(Scalar)) + "]";

    private static string Scalar(YamlNode node) => ((YamlScalarNode)node).Value ?? string.Empty;
}
