using IstioPodNetwork.Testing;
using Xunit.Abstractions;

namespace IstioPodNetwork.Integration.Tests.Support;

public sealed class ChildProcessTests(ITestOutputHelper output) : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("ipnc-child-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task A_killed_dotnet_child_leaves_no_debugger_pipe_or_diagnostics_socket_behind()
    {
        // `ipnc wait` on a file without the status annotation: a .NET process that keeps running until killed.
        var annotations = Path.Combine(directory, "pod_annotations");
        await File.WriteAllTextAsync(annotations, string.Empty);
        // The runtime makes them unless told not to; a developer's environment may have told it.
        var diagnosticsOn = new Dictionary<string, string?>
        {
            ["DOTNET_EnableDiagnostics"] = "1",
            ["DOTNET_EnableDiagnostics_IPC"] = "1",
            ["DOTNET_EnableDiagnostics_Debugger"] = "1",
        };
        await using var wait = ChildProcess.Start(Binaries.Ipnc, ["wait", "--annotations-file", annotations, "--timeout", "60s"], output, diagnosticsOn);
        await Eventually.HoldsAsync(
            () => RuntimeFilesOf(wait.Id) is var files
                && files.Any(f => f.StartsWith("dotnet-diagnostic-", StringComparison.Ordinal))
                && files.Any(f => f.StartsWith("clr-debug-pipe-", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(20),
            "the child's runtime listening for debuggers and diagnostic tools");

        wait.KillHard();
        Assert.True(await wait.WaitForExitAsync(TimeSpan.FromSeconds(10)), "the child outlived SIGKILL");

        await Eventually.HoldsAsync(() => RuntimeFilesOf(wait.Id).Count == 0, TimeSpan.FromSeconds(5), "the killed child's pipes and socket removed");
    }

    private static List<string> RuntimeFilesOf(int pid) =>
        [.. Directory.EnumerateFiles(Path.GetTempPath())
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(f => f.StartsWith($"clr-debug-pipe-{pid}-", StringComparison.Ordinal) || f.StartsWith($"dotnet-diagnostic-{pid}-", StringComparison.Ordinal))];
}
