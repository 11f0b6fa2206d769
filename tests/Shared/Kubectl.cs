using Xunit.Abstractions;

namespace IstioPodNetwork.Testing;

/// <summary>The real kubectl on PATH against one API server, with a fresh discovery cache (a reused port must never see stale discovery).</summary>
public sealed class Kubectl(string kubeconfigPath, ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly DirectoryInfo cache = Directory.CreateTempSubdirectory("kubectl-cache-");

    public async Task<KubectlResult> RunAsync(params string[] args)
    {
        await using var process = Start(args);
        if (!await process.WaitForExitAsync(Bound))
        {
            throw new TimeoutException($"kubectl {string.Join(' ', args)} still running after {Bound.TotalSeconds} s:\n{process.Tail()}");
        }

        return new KubectlResult(process.ExitCode, process.StandardOutput.TrimEnd(), string.Join('\n', process.Lines));
    }

    /// <summary>Runs and insists on success, returning standard output.</summary>
    public async Task<string> OkAsync(params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', args)} exited {result.ExitCode}:\n{result.All}");
        return result.Output;
    }

    public ChildProcess Start(params string[] args) =>
        ChildProcess.Start("kubectl", ["--kubeconfig", kubeconfigPath, "--cache-dir", cache.FullName, .. args], output, label: "kubectl");

    public void Dispose() => cache.Delete(recursive: true);
}

public sealed record KubectlResult(int ExitCode, string Output, string All);
