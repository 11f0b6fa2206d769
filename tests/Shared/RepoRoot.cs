namespace IstioPodNetwork.Testing;

/// <summary>The repository's root: the directory holding IstioPodNetwork.sln, found by walking up from the test assembly.</summary>
public static class RepoRoot
{
    public static string Path { get; } = Find();

    public static string File(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(System.IO.Path.Combine(dir.FullName, "IstioPodNetwork.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no IstioPodNetwork.sln above {AppContext.BaseDirectory}");
    }
}
