using IstioPodNetwork.Testing;
using Xunit.Abstractions;

namespace IstioPodNetwork.Integration.Tests.Wait;

public sealed class WaitCommandTests(ITestOutputHelper output) : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("ipnc-wait-").FullName;

    private string AnnotationsFile => Path.Combine(directory, "pod_annotations");

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task Wait_returns_0_as_soon_as_the_downward_API_file_shows_the_pod_initialized()
    {
        await File.WriteAllTextAsync(AnnotationsFile, "istio-pod-network-controller/initialize=\"true\"\n");
        await using var wait = ChildProcess.Start(Binaries.Ipnc, ["wait", "--annotations-file", AnnotationsFile, "--interval", "50ms", "--timeout", "60s"], output);
        await wait.WaitForLineAsync(l => l.Contains("waiting for", StringComparison.Ordinal), TimeSpan.FromSeconds(20), "the waiting line");
        Assert.False(wait.HasExited);

        // The kubelet swaps the file atomically; do the same.
        var next = AnnotationsFile + ".new";
        await File.WriteAllTextAsync(next, "istio-pod-network-controller/initialize=\"true\"\npod-network-controller.istio.io/status=\"initialized\"\n");
        File.Move(next, AnnotationsFile, overwrite: true);

        Assert.True(await wait.WaitForExitAsync(TimeSpan.FromSeconds(20)), "wait did not notice the annotation");
        Assert.Equal(0, wait.ExitCode);
        Assert.Contains(wait.Lines, l => l.StartsWith("ipnc: pod initialized after", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Wait_gives_up_with_exit_code_1_and_says_what_to_check()
    {
        await File.WriteAllTextAsync(AnnotationsFile, "other=\"x\"\n");

        await using var wait = ChildProcess.Start(Binaries.Ipnc, ["wait", "--annotations-file", AnnotationsFile, "--interval", "50ms", "--timeout", "500ms"], output);

        Assert.True(await wait.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(1, wait.ExitCode);
        Assert.Contains(wait.Lines, l => l.StartsWith("ipnc: timed out after", StringComparison.Ordinal) && l.Contains("istio-pod-network-controller/initialize", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Wait_without_anything_to_wait_on_is_a_usage_error()
    {
        await using var wait = ChildProcess.Start(Binaries.Ipnc, ["wait"], output, new Dictionary<string, string?> { ["POD_NAME"] = null });

        Assert.True(await wait.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(2, wait.ExitCode);
        Assert.StartsWith("ipnc: nothing to wait on", Assert.Single(wait.Lines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_timeout_is_a_usage_error_naming_the_flag()
    {
        await using var wait = ChildProcess.Start(Binaries.Ipnc, ["wait", "--annotations-file", AnnotationsFile, "--timeout", "soon"], output);

        Assert.True(await wait.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(2, wait.ExitCode);
        Assert.Equal("ipnc: invalid --timeout: expected a duration such as 500ms, 30s, 5m or 1h", Assert.Single(wait.Lines));
    }
}
