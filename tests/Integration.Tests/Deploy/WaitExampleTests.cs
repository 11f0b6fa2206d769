using IstioPodNetwork.Host.Cli;
using IstioPodNetwork.Kube;
using IstioPodNetwork.Testing;
using Xunit.Abstractions;
using YamlDotNet.RepresentationModel;

namespace IstioPodNetwork.Integration.Tests.Deploy;

/// <summary>examples/pod-with-wait.yaml runs the real `ipnc wait` as written, on the file the kubelet would project.</summary>
public sealed class WaitExampleTests(ITestOutputHelper output) : IDisposable
{
    private static readonly YamlMappingNode Pod = Assert.Single(YamlNodes.Documents(File.ReadAllText(RepoRoot.File("examples", "pod-with-wait.yaml"))));
    private readonly string directory = Directory.CreateTempSubdirectory("ipnc-wait-example-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void The_wait_container_reads_the_pods_annotations_from_a_downward_API_volume_and_the_pod_gates_readiness_on_the_agents_condition()
    {
        var wait = Assert.Single(Pod.Items("spec", "initContainers"));
        var mount = Assert.Single(wait.Items("volumeMounts"));
        var volume = Assert.Single(Pod.Items("spec", "volumes"), v => v.Str("name") == mount.Str("name"));
        var item = Assert.Single(volume.Items("downwardAPI", "items"));

        Assert.Equal("metadata.annotations", item.Str("fieldRef", "fieldPath"));
        Assert.Equal(WaitCommand.DefaultAnnotationsFile, $"{mount.Str("mountPath")}/{item.Str("path")}");
        Assert.Contains(WaitCommand.DefaultAnnotationsFile, Arguments(wait));
        Assert.Equal([PodMarkers.InitializedCondition], Pod.Items("spec", "readinessGates").Select(g => g.Str("conditionType")));
        Assert.Equal("true", wait.Str("securityContext", "runAsNonRoot"));
        Assert.Equal("false", wait.Str("securityContext", "allowPrivilegeEscalation"));
        Assert.Equal(["ALL"], wait.Items("securityContext", "capabilities", "drop").Select(c => ((YamlScalarNode)c).Value));
        Assert.Empty(wait.Items("securityContext", "capabilities", "add"));
    }

    [Fact]
    public async Task The_wait_container_as_written_exits_0_once_the_agent_marks_the_pod_initialized()
    {
        var file = Path.Combine(directory, "pod_annotations");
        await File.WriteAllTextAsync(file, $"{PodMarkers.InitializeAnnotation}=\"true\"\n{PodMarkers.StatusAnnotation}=\"{PodMarkers.InitializedValue}\"\n");
        var args = Arguments(Assert.Single(Pod.Items("spec", "initContainers"))).Select(a => a == WaitCommand.DefaultAnnotationsFile ? file : a).ToList();

        await using var wait = ChildProcess.Start(Binaries.Ipnc, args, output);

        Assert.True(await wait.WaitForExitAsync(TimeSpan.FromSeconds(20)), "ipnc wait did not finish");
        Assert.Equal(0, wait.ExitCode);
        Assert.Contains(wait.Lines, l => l.StartsWith("ipnc: pod initialized", StringComparison.Ordinal));
    }

    private static List<string> Arguments(YamlNode container) => [.. container.Items("args").Select(a => ((YamlScalarNode)a).Value!)];
}
