using System.Collections.Immutable;
using System.Net;

namespace IstioPodNetwork.Capture.Netns;

/// <summary>Where a pod's network namespace is, or why it cannot be said yet.</summary>
public abstract record NetnsLookup
{
    private NetnsLookup()
    {
    }

    /// <param name="NetnsPath">The netns file to enter (&lt;proc root&gt;/&lt;pid&gt;/ns/net); valid while the process lives.</param>
    /// <param name="Pid">The pod's oldest process in that netns (the sandbox's pause process, normally).</param>
    public sealed record Found(string NetnsPath, int Pid) : NetnsLookup;

    /// <summary>Retry later: the pod has no IP yet, no process yet, or no process whose netns holds a pod IP.</summary>
    public sealed record NotYet(string Reason) : NetnsLookup;

    /// <summary>The lookup itself cannot work (the proc root is unreadable, say).</summary>
    public sealed record Failed(string Reason) : NetnsLookup;
}

/// <summary>Finds a pod's network namespace from its UID and IPs.</summary>
public interface INetnsFinder
{
    Task<NetnsLookup> FindAsync(string podUid, ImmutableArray<IPAddress> podIps, CancellationToken cancellationToken);
}
