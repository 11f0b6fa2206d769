namespace IstioPodNetwork.Testing;

/// <summary>The project's executables as built next to the test assembly.</summary>
public static class Binaries
{
    /// <summary>
    /// Names another ipnc to run instead: make bench sets it to the ReadyToRun publish the image ships.
    /// Not IPNC_…: the agent inherits the environment and takes every IPNC_ variable for one of its settings.
    /// </summary>
    public const string IpncOverride = "BENCH_IPNC";

    public static string Ipnc => Environment.GetEnvironmentVariable(IpncOverride) is { Length: > 0 } path
        ? File.Exists(path) ? path : throw new FileNotFoundException($"{IpncOverride}={path}: no such file.")
        : Find("ipnc");

    /// <summary>Which ipnc <see cref="Ipnc"/> runs, for a benchmark's heading.</summary>
    public static string IpncBuild => Environment.GetEnvironmentVariable(IpncOverride) is { Length: > 0 } path
        ? $"{path} ({IpncOverride})"
        : "the build next to this one";

    public static string KubeSim => Find("kubesim");

    private static string Find(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, name);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{name} is not built next to the tests ({path}); build the solution first.");
    }
}
