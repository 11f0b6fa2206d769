using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace IstioPodNetwork.KubeSim.Sandbox;

/// <summary>
/// A pod's pause process and the shim that holds it, made by the native helper kubesim-sandbox (built beside this
/// assembly from Sandbox/kubesim-sandbox.c, which says how and why): the pause process is born in the pod's cgroups
/// and joins its netns; the shim stays in ours, as a container runtime's shim does.
/// </summary>
internal sealed partial class SandboxShim : IAsyncDisposable
{
    private const string HelperName = "kubesim-sandbox";
    private const int SigTerm = 15;
    private static readonly string Helper = Path.Combine(AppContext.BaseDirectory, HelperName);
    private readonly Process shim;

    private SandboxShim(Process shim, int pausePid)
    {
        this.shim = shim;
        PausePid = pausePid;
    }

    /// <summary>The pause process: in the netns and in every cgroup directory given.</summary>
    public int PausePid { get; }

    /// <summary>Starts the pause process in <paramref name="netnsPath"/> and in <paramref name="cgroupDirectories"/> (made as needed).</summary>
    public static async Task<SandboxShim> StartAsync(string netnsPath, IEnumerable<string> cgroupDirectories)
    {
        var info = new ProcessStartInfo(Helper)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(netnsPath);
        foreach (var directory in cgroupDirectories)
        {
            info.ArgumentList.Add(directory);
        }

        Process shim;
        try
        {
            shim = Process.Start(info) ?? throw new InvalidOperationException($"could not start {Helper}");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"could not start the sandbox helper {Helper} ({e.Message}): building KubeSim compiles it, with the C compiler `make deps` installs", e);
        }

        var line = await shim.StandardOutput.ReadLineAsync();
        if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pausePid))
        {
            return new SandboxShim(shim, pausePid);
        }

        var error = (await shim.StandardError.ReadToEndAsync()).Trim();
        await shim.WaitForExitAsync();
        var exitCode = shim.ExitCode;
        shim.Dispose();
        throw new InvalidOperationException($"{HelperName} {string.Join(' ', info.ArgumentList)} failed with exit code {exitCode}: {error}");
    }

    /// <summary>Ends the pause process; done when it is gone, so its cgroup directories can be removed.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!shim.HasExited)
        {
            // SIGTERM, not Process.Kill's SIGKILL: the shim then ends the pause process and waits for it.
            _ = Kill(shim.Id, SigTerm);
        }

        await shim.WaitForExitAsync();
        shim.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
