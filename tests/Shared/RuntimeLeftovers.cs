using System.Globalization;

namespace IstioPodNetwork.Testing;

/// <summary>
/// What the .NET runtime of a killed child leaves in the temp directory: its debugger pipes and its diagnostics
/// socket, which it removes only when it exits by itself. They are named by process id and the process's start
/// time (field 22 of /proc/PID/stat, the runtime's key against reused ids), so only the files of the process this
/// harness started are removed, never those of another process that got the same id later.
/// </summary>
public sealed class RuntimeLeftovers
{
    private readonly int pid;
    private readonly string startTime;

    private RuntimeLeftovers(int pid, string startTime)
    {
        this.pid = pid;
        this.startTime = startTime;
    }

    /// <summary>For a process still running; null when it has already gone (there is then no key to match on).</summary>
    public static RuntimeLeftovers? Of(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return new RuntimeLeftovers(pid, fields[19]);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Removes them; call once the process has exited.</summary>
    public void Remove()
    {
        var key = $"{pid.ToString(CultureInfo.InvariantCulture)}-{startTime}-";
        foreach (var pattern in new[] { $"clr-debug-pipe-{key}*", $"dotnet-diagnostic-{key}*" })
        {
            foreach (var file in Directory.EnumerateFiles(Path.GetTempPath(), pattern))
            {
                try
                {
                    File.Delete(file);
                }
                catch (IOException)
                {
                    // Already gone.
                }
            }
        }
    }
}
