using System.Collections.Immutable;
using IstioPodNetwork.Capture.Spec;

namespace IstioPodNetwork.Capture.Programming;

/// <summary>Which iptables implementation programs a netns.</summary>
public enum IptablesBackend
{
    /// <summary>iptables-legacy (x_tables through setsockopt).</summary>
    Legacy,

    /// <summary>iptables-nft (the iptables syntax on nf_tables).</summary>
    Nft,

    /// <summary>Whatever <c>iptables</c> is on the PATH, when neither explicit variant is installed.</summary>
    Plain,
}

/// <summary>The iptables-backend setting: detect per netns as Istio does, or force one.</summary>
public enum IptablesBackendChoice
{
    Auto,
    Legacy,
    Nft,
}

/// <summary>Where the iptables and ip binaries are, resolved once from the PATH.</summary>
public sealed record IptablesTools(ImmutableDictionary<string, string> Paths)
{
    private static readonly string[] Names =
    [
        "iptables-legacy-save", "iptables-legacy-restore", "ip6tables-legacy-save", "ip6tables-legacy-restore",
        "iptables-nft-save", "iptables-nft-restore", "ip6tables-nft-save", "ip6tables-nft-restore",
        "iptables-save", "iptables-restore", "ip6tables-save", "ip6tables-restore", "ip",
    ];

    public static IptablesTools FromPath()
    {
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"]);
        var paths = ImmutableDictionary.CreateBuilder<string, string>();
        foreach (var name in Names)
        {
            var found = directories.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
            if (found is not null)
            {
                paths[name] = found;
            }
        }

        return new IptablesTools(paths.ToImmutable());
    }

    public bool Has(IptablesBackend backend) => Paths.ContainsKey(Name(backend, IpFamily.IPv4, "restore"));

    public string Save(IptablesBackend backend, IpFamily family) => PathOf(Name(backend, family, "save"));

    public string Restore(IptablesBackend backend, IpFamily family) => PathOf(Name(backend, family, "restore"));

    public string Ip => PathOf("ip");

    private string PathOf(string name) => Paths.TryGetValue(name, out var path) ? path : name;

    private static string Name(IptablesBackend backend, IpFamily family, string verb)
    {
        var tool = family == IpFamily.IPv4 ? "iptables" : "ip6tables";
        return backend switch
        {
            IptablesBackend.Legacy => $"{tool}-legacy-{verb}",
            IptablesBackend.Nft => $"{tool}-nft-{verb}",
            _ => $"{tool}-{verb}",
        };
    }
}
