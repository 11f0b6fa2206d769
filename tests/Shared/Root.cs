using System.Runtime.InteropServices;

namespace IstioPodNetwork.Testing;

public static partial class Root
{
    public static bool IsRoot => GetEffectiveUserId() == 0;

    /// <summary>Fails the test with a clear message when not run as root; never skips silently.</summary>
    public static void Require(string why)
    {
        if (!IsRoot)
        {
            throw new InvalidOperationException($"This test needs root ({why}). Run `make test` as root.");
        }
    }

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();
}
