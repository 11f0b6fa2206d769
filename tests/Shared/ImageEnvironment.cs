using System.Text.RegularExpressions;

namespace IstioPodNetwork.Testing;

/// <summary>The environment variables the ipnc image sets for its processes: the final stage's literal ENV lines of deploy/Dockerfile.</summary>
public static partial class ImageEnvironment
{
    /// <remarks>Lines that build on the base image's values (PATH="/app:${PATH}") are left out: outside the image they mean nothing.</remarks>
    public static IReadOnlyDictionary<string, string?> Variables { get; } = Read();

    private static Dictionary<string, string?> Read()
    {
        var lines = File.ReadAllLines(RepoRoot.File("deploy", "Dockerfile"));
        var finalStage = Array.FindLastIndex(lines, l => l.StartsWith("FROM ", StringComparison.Ordinal));
        return lines[(finalStage + 1)..]
            .Select(l => EnvLine().Match(l))
            .Where(m => m.Success && !m.Groups["value"].Value.Contains('$', StringComparison.Ordinal))
            .ToDictionary(m => m.Groups["name"].Value, string? (m) => m.Groups["value"].Value);
    }

    [GeneratedRegex("""^ENV (?<name>[A-Za-z_][A-Za-z0-9_]*)=(?<value>\S+)$""")]
    private static partial Regex EnvLine();
}
