using System.Runtime.InteropServices;

namespace IstioPodNetwork.Capture.Processes;

internal static partial class Libc
{
    public const int CloneNewNet = 0x40000000;
    public const int ReadOnly = 0;
    public const int CloseOnExec = 0x80000;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    public static partial int SetNs(int fd, int nsType);

    /// <summary>setfsuid(2): per thread; returns the previous fsuid. Sockets take their owner (iptables' owner match) from it.</summary>
    [LibraryImport("libc", EntryPoint = "setfsuid")]
    public static partial int SetFsUid(uint uid);

    /// <summary>setfsgid(2): per thread; returns the previous fsgid.</summary>
    [LibraryImport("libc", EntryPoint = "setfsgid")]
    public static partial int SetFsGid(uint gid);

    public static string LastError() => Marshal.GetLastPInvokeErrorMessage();

    /// <summary>readlink(2); null when the path is not a link or cannot be read. Also reads /proc's namespace links (<c>net:[4026531840]</c>), which FileInfo.LinkTarget does not.</summary>
    public static string? ReadLink(string path)
    {
        var buffer = new byte[256];
        var length = ReadLinkNative(path, buffer, (nuint)buffer.Length);
        return length > 0 ? System.Text.Encoding.UTF8.GetString(buffer, 0, (int)length) : null;
    }

    [LibraryImport("libc", EntryPoint = "readlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint ReadLinkNative(string path, byte[] buffer, nuint size);
}
