namespace IstioPodNetwork.Capture.Tests.Infrastructure;

/// <summary>
/// A stand-in pod and one test host outside it: two netns joined by a veth pair.
/// Pod 10.X.A.2/24 (+ fdXX:A::2/64), host 10.X.A.1/24 (+ fdXX:A::1/64) and a second host address
/// 10.X.B.1/24 the pod reaches through the host, for CIDR exclusion tests.
/// </summary>
public sealed class PodNetwork : IAsyncDisposable
{
    private PodNetwork(TestNetns pod, TestNetns host, string v4, string v6, string other)
    {
        Pod = pod;
        Host = host;
        PodIp = v4 + ".2";
        HostIp = v4 + ".1";
        PodIp6 = v6 + ":2";
        HostIp6 = v6 + ":1";
        OtherHostIp = other + ".1";
        OtherSubnet = other + ".0/24";
    }

    public TestNetns Pod { get; }

    public TestNetns Host { get; }

    public string PodIp { get; }

    public string HostIp { get; }

    public string PodIp6 { get; }

    public string HostIp6 { get; }

    public string OtherHostIp { get; }

    public string OtherSubnet { get; }

    public static async Task<PodNetwork> CreateAsync()
    {
        var pod = await TestNetns.CreateAsync();
        var host = await TestNetns.CreateAsync();
        var v4 = TestSubnets.NextV4();
        var other = TestSubnets.NextV4();
        var v6 = TestSubnets.NextV6();
        var network = new PodNetwork(pod, host, v4, v6, other);
        try
        {
            // Created inside the pod netns, so the pair never exists in the host's (root) namespace.
            await pod.RunAsync("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "veth0", "netns", host.Name);
            await pod.RunAsync("ip", "addr", "add", network.PodIp + "/24", "dev", "eth0");
            await pod.RunAsync("ip", "-6", "addr", "add", network.PodIp6 + "/64", "dev", "eth0", "nodad");
            await pod.RunAsync("ip", "link", "set", "eth0", "up");
            await pod.RunAsync("ip", "route", "add", network.OtherSubnet, "via", network.HostIp);
            await host.RunAsync("ip", "addr", "add", network.HostIp + "/24", "dev", "veth0");
            await host.RunAsync("ip", "addr", "add", network.OtherHostIp + "/24", "dev", "veth0");
            await host.RunAsync("ip", "-6", "addr", "add", network.HostIp6 + "/64", "dev", "veth0", "nodad");
            await host.RunAsync("ip", "link", "set", "veth0", "up");
            return network;
        }
        catch
        {
            await network.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Pod.DisposeAsync();
        await Host.DisposeAsync();
    }
}
