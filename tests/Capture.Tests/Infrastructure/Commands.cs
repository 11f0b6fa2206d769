using System.Collections.Immutable;
using IstioPodNetwork.Capture.Processes;

namespace IstioPodNetwork.Capture.Tests.Infrastructure;

/// <summary>Runs setup commands (argv, no shell) and fails the test with their error output when they fail.</summary>
public static class Commands
{
    private static readonly ProcessRunner Runner = new();

    public static async Task<string> RunAsync(params string[] argv) => await RunInAsync(null, null, argv);

    public static async Task<string> RunInAsync(string? netns, string? input, params string[] argv)
    {
        var result = await Runner.RunAsync(new ProcessRequest([.. argv], input, netns), CancellationToken.None);
        return result.Succeeded
            ? result.StandardOutput
            : throw new InvalidOperationException($"{string.Join(' ', argv)} failed: {result.Describe()}\n{result.StandardError}");
    }

    public static Task<ProcessResult> TryInAsync(string? netns, string? input, params string[] argv) =>
        Runner.RunAsync(new ProcessRequest(argv.ToImmutableArray(), input, netns), CancellationToken.None);
}
