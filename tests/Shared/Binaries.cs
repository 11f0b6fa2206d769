namespace IstioPodNetwork.Testing;

/// <summary>The project's executables as built next to the test assembly.</summary>
public static class Binaries
{
    public static string Ipnc => Find("ipnc");

    public static string KubeSim => Find("kubesim");

    private static string Find(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, name);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{name} is not built next to the tests ({path}); build the solution first.");
    }
}
