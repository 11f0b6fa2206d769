using System.Net;
using IstioPodNetwork.Capture.Tests.Infrastructure;
using IstioPodNetwork.Capture.Validation;
using IstioPodNetwork.Testing;

namespace IstioPodNetwork.Capture.Tests.Validation;

/// <summary>An inbound probe connects only to what the caller's netns routes other than through its default route.</summary>
public sealed class CallerRouteTests
{
    private static readonly IPAddress Pod = IPAddress.Parse("10.244.1.7");
    private const string Defaults = """[{"dst":"default","gateway":"172.17.0.1","dev":"eth0","flags":[]}]""";

    [Theory]
    [InlineData("""[{"dst":"10.244.1.7","dev":"cni0","prefsrc":"10.244.1.1","flags":[],"uid":0,"cache":[]}]""")]
    [InlineData("""[{"dst":"10.244.1.7","dev":"cali12ab34cd56e","prefsrc":"172.17.0.5","flags":[],"uid":0,"cache":[]}]""")]
    [InlineData("""[{"dst":"10.244.1.7","gateway":"10.244.1.1","dev":"cilium_host","prefsrc":"10.244.1.1","flags":[],"uid":0,"cache":[]}]""")]
    public void A_pod_routed_through_its_own_device_may_be_probed(string routeGet) =>
        Assert.Null(CallerRoute.Refusal("/proc/self/ns/net", Pod, routeGet, Defaults));

    [Fact]
    public void An_address_only_the_default_route_reaches_is_refused_naming_the_address_the_netns_and_the_hop()
    {
        const string routeGet = """[{"dst":"10.244.1.7","gateway":"172.17.0.1","dev":"eth0","prefsrc":"172.17.0.5","flags":[],"uid":0,"cache":[]}]""";

        var refusal = CallerRoute.Refusal("/proc/self/ns/net", Pod, routeGet, Defaults);

        Assert.Equal(
            "10.244.1.7 is reached from /proc/self/ns/net only through its default route (via 172.17.0.1 dev eth0), so it is no pod on this node; "
            + "give --from-netns the network namespace that routes to the pod (the node's)",
            refusal);
    }

    [Fact]
    public void Any_next_hop_of_a_multipath_default_route_counts_as_the_default_route()
    {
        const string defaults = """[{"dst":"default","flags":[],"nexthops":[{"gateway":"10.0.0.1","dev":"eth0","weight":1,"flags":[]},{"gateway":"10.0.1.1","dev":"eth1","weight":1,"flags":[]}]}]""";
        const string routeGet = """[{"dst":"10.244.1.7","gateway":"10.0.1.1","dev":"eth1","prefsrc":"10.0.1.5","flags":[],"uid":0,"cache":[]}]""";

        Assert.NotNull(CallerRoute.Refusal("/proc/self/ns/net", Pod, routeGet, defaults));
    }

    [Fact]
    public void An_empty_answer_is_no_route()
    {
        Assert.Equal("10.244.1.7 has no route from /run/netns/x", CallerRoute.Refusal("/run/netns/x", Pod, "", Defaults));
    }

    [Fact]
    public async Task A_probe_from_a_netns_whose_default_route_would_carry_it_off_is_not_run_and_sends_nothing()
    {
        Root.Require("creates network namespaces, veth pairs and listeners");
        await using var network = await PodNetwork.CreateAsync();
        // The wrong caller: a netns whose only way to the pod's address is its default route, to a test host
        // that holds that address too and listens there, so a connection that got out would be seen.
        await using var elsewhere = await PodNetwork.CreateAsync();
        await elsewhere.Pod.RunAsync("ip", "route", "add", "default", "via", elsewhere.HostIp);
        await elsewhere.Host.RunAsync("ip", "link", "set", "lo", "up");
        await elsewhere.Host.RunAsync("ip", "addr", "add", network.PodIp + "/32", "dev", "lo");
        var podEndpoint = new IPEndPoint(IPAddress.Parse(network.PodIp), 9080);
        await using var trap = await LandingListener.StartAsync(elsewhere.Host.Path, podEndpoint, "a host off the node");

        var result = await TrafficProbe.RunAsync(new InboundProbe(network.Pod.Path, podEndpoint, elsewhere.Pod.Path, 15006));

        var notRun = Assert.IsType<ProbeResult.NotRun>(result);
        Assert.Contains($"only through its default route (via {elsewhere.HostIp} dev eth0)", notRun.Reason, StringComparison.Ordinal);
        await Consistently.HoldsAsync(() => trap.Landings.Count == 0, "no connection reached the host off the node", TimeSpan.FromMilliseconds(300));

        // The same probe from the netns that routes to the pod runs (no rules here, so nothing is captured).
        Assert.IsNotType<ProbeResult.NotRun>(await TrafficProbe.RunAsync(new InboundProbe(network.Pod.Path, podEndpoint, network.Host.Path, 15006)));
    }
}
