using System.Runtime.InteropServices;

namespace IstioPodNetwork.KubeSim.Sandbox;

/// <summary>
/// A named network namespace made in-process, as `ip netns add` makes one: a new netns bind-mounted on
/// /run/netns/NAME, so `ip -n NAME` and `ip netns delete NAME` work on it. It is made on a dedicated thread, since
/// unshare(2) moves only that thread into the new netns. Saves a sandbox the process of `ip netns add`.
/// </summary>
internal static partial class NamedNetns
{
    private const string NetnsDirectory = "/run/netns";
    private const int CloneNewNet = 0x40000000;
    private const ulong MountBind = 0x1000;

    /// <summary>Where netns <paramref name="name"/> is bind-mounted, as `ip netns` names it.</summary>
    public static string PathOf(string name) => Path.Combine(NetnsDirectory, name);

    /// <summary>Makes /run/netns/<paramref name="name"/>.</summary>
    /// <remarks>Whatever fails (the name is taken, unshare or mount is refused), nothing is left behind.</remarks>
    public static Task CreateAsync(string name) =>
        ThrowawayThread.RunAsync("netns-add", () => CreateOnThisThread(PathOf(name)));

    /// <summary>Runs on a thread of its own that ends right after: it is left in the new netns.</summary>
    private static void CreateOnThisThread(string path)
    {
        // The node's `ip netns add` has made /run/netns a shared mount already; the mount point is an empty file.
        using (new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
        }

        try
        {
            if (Unshare(CloneNewNet) != 0)
            {
                throw new InvalidOperationException($"unshare(CLONE_NEWNET) for {path} failed: {Marshal.GetLastPInvokeErrorMessage()}");
            }

            if (Mount("/proc/thread-self/ns/net", path, "none", MountBind, 0) != 0)
            {
                throw new InvalidOperationException($"bind-mounting the new netns on {path} failed: {Marshal.GetLastPInvokeErrorMessage()}");
            }
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    [LibraryImport("libc", EntryPoint = "unshare", SetLastError = true)]
    private static partial int Unshare(int flags);

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Mount(string source, string target, string fileSystemType, ulong flags, nint data);
}
