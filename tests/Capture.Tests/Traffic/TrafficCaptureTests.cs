using System.Net;
using IstioPodNetwork.Capture.Processes;
using IstioPodNetwork.Capture.Programming;
using IstioPodNetwork.Capture.Spec;
using IstioPodNetwork.Capture.Tests.Infrastructure;
using IstioPodNetwork.Capture.Validation;
using IstioPodNetwork.Testing;

namespace IstioPodNetwork.Capture.Tests.Traffic;

/// <summary>
/// Real TCP through real rules, proven with the product's <see cref="TrafficProbe"/>: a stand-in pod netns and
/// a test host netns joined by a veth pair, the probe's stand-in proxy in the pod reporting SO_ORIGINAL_DST,
/// and servers on the test host that greet with their name, so a connection that went past the proxy says where it went.
/// </summary>
public sealed class TrafficCaptureTests
{
    private const uint AppUid = 1000;
    private const int AppPort = 8080;
    private const int OtherPort = 9090;

    public static TheoryData<IptablesBackendChoice> Backends => [IptablesBackendChoice.Nft, IptablesBackendChoice.Legacy];

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task An_app_connection_to_another_host_lands_on_15001_with_its_original_destination(IptablesBackendChoice backend)
    {
        await using var setup = await Setup.StartAsync(backend, []);

        var result = await setup.OutboundAsync(Endpoint(setup.Network.HostIp, AppPort), AppUid, AppUid);

        var landing = Expect<ProbeResult.Captured>(result).Landing;
        Assert.Equal(Endpoint(setup.Network.HostIp, AppPort), landing.OriginalDestination);
        Assert.Equal(Endpoint("127.0.0.1", 15001), landing.Local);
        Assert.Empty(setup.HostServer(AppPort).Landings);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task An_inbound_connection_to_an_app_port_lands_on_15006(IptablesBackendChoice backend)
    {
        await using var setup = await Setup.StartAsync(backend, []);

        var result = await setup.InboundAsync(Endpoint(setup.Network.PodIp, AppPort));

        var landing = Expect<ProbeResult.Captured>(result).Landing;
        Assert.Equal(Endpoint(setup.Network.PodIp, AppPort), landing.OriginalDestination);
        Assert.Equal(Endpoint(setup.Network.PodIp, 15006), landing.Local);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Traffic_of_the_proxy_uid_1337_is_not_redirected(IptablesBackendChoice backend)
    {
        await using var setup = await Setup.StartAsync(backend, []);

        var result = await setup.OutboundAsync(Endpoint(setup.Network.HostIp, AppPort), uid: 1337, gid: 0);

        var bypassed = Expect<ProbeResult.Bypassed>(result);
        Assert.Equal($"direct-{AppPort}", bypassed.Answer);
        Assert.NotNull(setup.HostServer(AppPort).LandingFrom(bypassed.Source));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Excluded_outbound_ports_and_ranges_are_not_redirected_and_others_still_are(IptablesBackendChoice backend)
    {
        await using var setup = await Setup.StartAsync(backend, network =>
        [
            Pods.Annotation(CaptureAnnotations.ExcludeOutboundPorts, OtherPort.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Pods.Annotation(CaptureAnnotations.ExcludeOutboundIPRanges, network.OtherSubnet),
        ]);

        var excludedPort = await setup.OutboundAsync(Endpoint(setup.Network.HostIp, OtherPort), AppUid, AppUid);
        var excludedRange = await setup.OutboundAsync(Endpoint(setup.Network.OtherHostIp, AppPort), AppUid, AppUid);
        var captured = await setup.OutboundAsync(Endpoint(setup.Network.HostIp, AppPort), AppUid, AppUid);

        Assert.Equal($"direct-{OtherPort}", Expect<ProbeResult.Bypassed>(excludedPort).Answer);
        var rangeLanding = setup.HostServer(AppPort).LandingFrom(Expect<ProbeResult.Bypassed>(excludedRange).Source);
        Assert.Equal(Endpoint(setup.Network.OtherHostIp, AppPort), rangeLanding?.Local);
        Assert.Equal(Endpoint(setup.Network.HostIp, AppPort), Expect<ProbeResult.Captured>(captured).Landing.OriginalDestination);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Excluded_inbound_ports_are_not_redirected(IptablesBackendChoice backend)
    {
        await using var setup = await Setup.StartAsync(backend, _ => [Pods.Annotation(CaptureAnnotations.ExcludeInboundPorts, OtherPort.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        await using var app = await LandingListener.StartAsync(setup.Network.Pod.Path, Endpoint("0.0.0.0", OtherPort), "app-9090");

        var result = await setup.InboundAsync(Endpoint(setup.Network.PodIp, OtherPort));

        Assert.Equal("app-9090", Expect<ProbeResult.Bypassed>(result).Answer);
        Assert.Single(app.Landings);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Tproxy_mode_delivers_inbound_traffic_with_its_original_destination(IptablesBackendChoice backend)
    {
        await using var setup = await Setup.StartAsync(backend, _ => [Pods.Annotation(CaptureAnnotations.InterceptionMode, "TPROXY")]);

        var result = await setup.InboundAsync(Endpoint(setup.Network.PodIp, AppPort), tproxy: true);

        var landing = Expect<ProbeResult.Captured>(result).Landing;
        Assert.Equal(Endpoint(setup.Network.PodIp, AppPort), landing.Local);
        Assert.Equal(Endpoint(setup.Network.PodIp, AppPort), landing.IntendedDestination);
    }

    [Fact]
    public async Task An_IPv6_app_connection_lands_on_15001_with_its_original_destination()
    {
        await using var setup = await Setup.StartAsync(IptablesBackendChoice.Nft, [], ipv6: true);

        var result = await setup.OutboundAsync(Endpoint(setup.Network.HostIp6, AppPort), AppUid, AppUid);

        var landing = Expect<ProbeResult.Captured>(result).Landing;
        Assert.Equal(Endpoint(setup.Network.HostIp6, AppPort), landing.OriginalDestination);
        Assert.Equal(Endpoint("::1", 15001), landing.Local);
    }

    private static IPEndPoint Endpoint(string ip, int port) => new(IPAddress.Parse(ip), port);

    /// <summary>Assert.IsType, whose failure also says what the probe found (a NotRun's reason, a landing).</summary>
    private static T Expect<T>(ProbeResult result)
        where T : ProbeResult =>
        result as T ?? throw new Xunit.Sdk.XunitException($"expected {typeof(T).Name}, the probe found {result}");

    /// <summary>The two netns, our rules applied in the pod, and the test host's greeting servers.</summary>
    private sealed class Setup : IAsyncDisposable
    {
        private readonly Dictionary<int, LandingListener> hostServers = [];

        private Setup(PodNetwork network) => Network = network;

        public PodNetwork Network { get; }

        public static Task<Setup> StartAsync(IptablesBackendChoice backend, KeyValuePair<string, string>[] annotations, bool ipv6 = false) =>
            StartAsync(backend, _ => annotations, ipv6);

        public static async Task<Setup> StartAsync(IptablesBackendChoice backend, Func<PodNetwork, KeyValuePair<string, string>[]> annotations, bool ipv6 = false)
        {
            Root.Require("creates network namespaces, veth pairs and iptables rules");
            var setup = new Setup(await PodNetwork.CreateAsync());
            try
            {
                var network = setup.Network;
                var rules = Pods.Rules(Pods.Input(annotations(network), ips: ipv6 ? [network.PodIp, network.PodIp6] : [network.PodIp]));
                var programmer = new CaptureProgrammer(new ProcessRunner(), new NetnsProcFiles(), SavedRules.Tools, backend);
                Assert.IsType<ApplyOutcome.Applied>(await programmer.ApplyAsync(network.Pod.Path, rules, CancellationToken.None));
                foreach (var port in new[] { AppPort, OtherPort })
                {
                    setup.hostServers[port] = await LandingListener.StartAsync(network.Host.Path, new IPEndPoint(ipv6 ? IPAddress.IPv6Any : IPAddress.Any, port), $"direct-{port}");
                }

                return setup;
            }
            catch
            {
                await setup.DisposeAsync();
                throw;
            }
        }

        public LandingListener HostServer(int port) => hostServers[port];

        /// <summary>An app in the pod connects out; the probe's stand-in proxy listens on 15001.</summary>
        public Task<ProbeResult> OutboundAsync(IPEndPoint destination, uint uid, uint gid) =>
            TrafficProbe.RunAsync(new OutboundProbe(Network.Pod.Path, destination, uid, gid, 15001));

        /// <summary>The test host connects to the pod; the probe's stand-in proxy listens on 15006.</summary>
        public Task<ProbeResult> InboundAsync(IPEndPoint podEndpoint, bool tproxy = false) =>
            TrafficProbe.RunAsync(new InboundProbe(Network.Pod.Path, podEndpoint, Network.Host.Path, 15006, tproxy));

        public async ValueTask DisposeAsync()
        {
            foreach (var server in hostServers.Values)
            {
                await server.DisposeAsync();
            }

            await Network.DisposeAsync();
        }
    }
}
