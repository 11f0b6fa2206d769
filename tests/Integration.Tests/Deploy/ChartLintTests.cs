using System.Xml.Linq;
using IstioPodNetwork.Testing;
using YamlDotNet.RepresentationModel;

namespace IstioPodNetwork.Integration.Tests.Deploy;

/// <summary>What `helm lint` would catch, without helm.</summary>
public sealed class ChartLintTests
{
    [Fact]
    public void Chart_yaml_is_apiVersion_v2_with_the_chart_directory_name_a_semantic_version_and_an_appVersion()
    {
        var chart = DeployFiles.ChartYaml;

        Assert.Equal("v2", chart.Str("apiVersion"));
        Assert.Equal(Path.GetFileName(DeployFiles.ChartDirectory), chart.Str("name"));
        Assert.Matches(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$", chart.Str("version"));
        Assert.False(string.IsNullOrWhiteSpace(chart.Str("appVersion")), "Chart.yaml has no appVersion");
    }

    [Fact]
    public void The_chart_appVersion_and_so_the_default_image_tag_is_the_version_ipnc_is_built_as()
    {
        var built = XDocument.Load(RepoRoot.File("Directory.Build.props")).Descendants("Version").Single().Value;

        Assert.Equal(built, DeployFiles.ChartYaml.Str("appVersion"));
    }

    [Fact]
    public void Every_Values_path_the_templates_use_is_declared_in_values_yaml()
    {
        var values = DeployFiles.Values;
        var used = DeployFiles.TemplateFiles.SelectMany(f => GoTemplate.ValuePaths(File.ReadAllText(f)).Select(p => (File: Path.GetFileName(f), Path: p))).ToList();

        var undeclared = used.Where(u => values.At(u.Path.Split('.')) is null).Select(u => $"{u.File}: .Values.{u.Path}").Distinct().ToList();

        Assert.NotEmpty(used);
        Assert.True(undeclared.Count == 0, "not in values.yaml:\n" + string.Join('\n', undeclared));
    }

    [Fact]
    public void Every_value_in_values_yaml_is_used_by_a_template()
    {
        var used = DeployFiles.TemplateFiles.SelectMany(f => GoTemplate.ValuePaths(File.ReadAllText(f))).ToHashSet();

        // A value counts as used when a template reads it or a mapping holding it (toYaml .Values.resources).
        var unused = Leaves(DeployFiles.Values, string.Empty)
            .Where(leaf => !used.Any(u => leaf == u || leaf.StartsWith(u + ".", StringComparison.Ordinal)))
            .ToList();

        Assert.True(unused.Count == 0, "values no template reads:\n" + string.Join('\n', unused));
    }

    [Fact]
    public void Every_template_is_valid_yaml_of_kubernetes_objects_once_its_actions_are_masked()
    {
        var templates = DeployFiles.ManifestTemplates.ToList();

        Assert.NotEmpty(templates);
        foreach (var file in templates)
        {
            IReadOnlyList<YamlMappingNode> documents;
            try
            {
                documents = YamlNodes.Documents(GoTemplate.Mask(File.ReadAllText(file)));
            }
            catch (Exception e) when (e is YamlDotNet.Core.YamlException or NotSupportedException)
            {
                throw new Xunit.Sdk.XunitException($"{Path.GetFileName(file)}: {e.Message}");
            }

            var document = Assert.Single(documents);
            Assert.All(new[] { "apiVersion", "kind" }, key => Assert.False(string.IsNullOrEmpty(document.Str(key)), $"{Path.GetFileName(file)} has no {key}"));
            Assert.NotNull(document.At("metadata", "name"));
        }
    }

    private static IEnumerable<string> Leaves(YamlMappingNode mapping, string prefix) =>
        mapping.Children.SelectMany(entry =>
        {
            var path = prefix + ((YamlScalarNode)entry.Key).Value;
            return entry.Value is YamlMappingNode { Children.Count: > 0 } nested ? Leaves(nested, path + ".") : [path];
        });
}
