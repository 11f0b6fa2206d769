namespace IstioPodNetwork.Host.Cli;

/// <summary>Process exit codes of every ipnc verb.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The work failed (a command's target reported an error, a wait timed out, the agent stopped on a fault).</summary>
    public const int Failed = 1;

    /// <summary>The command line or a setting is invalid; nothing was started.</summary>
    public const int Usage = 2;

    /// <summary>An operator command could not reach the agent's command endpoint.</summary>
    public const int Unreachable = 3;
}
