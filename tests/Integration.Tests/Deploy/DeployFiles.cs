using IstioPodNetwork.Testing;
using YamlDotNet.RepresentationModel;

namespace IstioPodNetwork.Integration.Tests.Deploy;

/// <summary>The chart and the plain manifests under deploy/, as files.</summary>
internal static class DeployFiles
{
    /// <summary>The release name and namespace the plain manifests are rendered for.</summary>
    public const string Release = "istio-pod-network-controller";

    public static string ChartDirectory { get; } = RepoRoot.File("deploy", "helm", "istio-pod-network-controller");

    public static string ManifestsDirectory { get; } = RepoRoot.File("deploy", "manifests");

    public static YamlMappingNode ChartYaml => Single(Path.Combine(ChartDirectory, "Chart.yaml"));

    public static YamlMappingNode Values => Single(Path.Combine(ChartDirectory, "values.yaml"));

    /// <summary>Every file of templates/: the manifests (*.yaml), the helpers and NOTES.txt.</summary>
    public static IReadOnlyList<string> TemplateFiles =>
        [.. Directory.EnumerateFiles(Path.Combine(ChartDirectory, "templates")).Order(StringComparer.Ordinal)];

    public static IEnumerable<string> ManifestTemplates => TemplateFiles.Where(f => f.EndsWith(".yaml", StringComparison.Ordinal));

    /// <summary>The documents of every template rendered with the default values, for the plain manifests' release.</summary>
    public static IReadOnlyList<YamlMappingNode> RenderedWithDefaults()
    {
        var chart = ChartYaml;
        var scope = new TemplateScope(Values, Release, Release, chart.Str("name")!, chart.Str("version")!, chart.Str("appVersion")!);
        return [.. ManifestTemplates.SelectMany(file => YamlNodes.Documents(GoTemplate.Render(File.ReadAllText(file), scope)))];
    }

    public static IReadOnlyList<YamlMappingNode> Manifests() =>
        [.. Directory.EnumerateFiles(ManifestsDirectory, "*.yaml").SelectMany(f => YamlNodes.Documents(File.ReadAllText(f)))];

    private static YamlMappingNode Single(string file) => Assert.Single(YamlNodes.Documents(File.ReadAllText(file)));
}
