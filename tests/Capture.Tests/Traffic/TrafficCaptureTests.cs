using System.Net;
using IstioPodNetwork.Capture.Processes;
using IstioPodNetwork.Capture.Programming;
using IstioPodNetwork.Capture.Spec;
using IstioPodNetwork.Capture.Tests.Infrastructure;
using IstioPodNetwork.Testing;

namespace IstioPodNetwork.Capture.Tests.Traffic;

/// <summary>
/// Real TCP through real rules: a stand-in pod netns and a test host netns joined by a veth pair, a
/// stand-in proxy in the pod listening on 15001/15006 and reporting SO_ORIGINAL_DST, servers on the
/// test host reporting that they were reached directly.
/// </summary>
public sealed class TrafficCaptureTests
{
    private const uint AppUid = 1000;
    private const int AppPort = 8080;

    public static TheoryData<IptablesBackendChoice> Backends => [IptablesBackendChoice.Nft, IptablesBackendChoice.Legacy];

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task An_app_connection_to_another_host_lands_on_15001_with_its_original_destination(IptablesBackendChoice backend)
    {
        await using var setup = await Setup.StartAsync(backend, []);

        var reply = await NetnsSockets.ExchangeAsync(setup.Network.Pod, Endpoint(setup.Network.HostIp, AppPort), AppUid, AppUid);

        Assert.Equal($"proxy-outbound original={setup.Network.HostIp}:{AppPort} local=127.0.0.1:15001", reply);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task An_inbound_connection_to_an_app_port_lands_on_15006(IptablesBackendChoice backend)
    {
        await using var setup = await Setup.StartAsync(backend, []);

        var reply = await NetnsSockets.ExchangeAsync(setup.Network.Host, Endpoint(setup.Network.PodIp, AppPort));

        Assert.Equal($"proxy-inbound original={setup.Network.PodIp}:{AppPort} local={setup.Network.PodIp}:15006", reply);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Traffic_of_the_proxy_uid_1337_is_not_redirected(IptablesBackendChoice backend)
    {
        await using var setup = await Setup.StartAsync(backend, []);

        var reply = await NetnsSockets.ExchangeAsync(setup.Network.Pod, Endpoint(setup.Network.HostIp, AppPort), uid: 1337, gid: 0);

        Assert.StartsWith($"direct-{AppPort} ", reply, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Excluded_outbound_ports_and_ranges_are_not_redirected_and_others_still_are(IptablesBackendChoice backend)
    {
        await using var setup = await Setup.StartAsync(backend, network =>
        [
            Pods.Annotation(CaptureAnnotations.ExcludeOutboundPorts, "9090"),
            Pods.Annotation(CaptureAnnotations.ExcludeOutboundIPRanges, network.OtherSubnet),
        ]);

        var excludedPort = await NetnsSockets.ExchangeAsync(setup.Network.Pod, Endpoint(setup.Network.HostIp, 9090), AppUid, AppUid);
        var excludedRange = await NetnsSockets.ExchangeAsync(setup.Network.Pod, Endpoint(setup.Network.OtherHostIp, AppPort), AppUid, AppUid);
        var captured = await NetnsSockets.ExchangeAsync(setup.Network.Pod, Endpoint(setup.Network.HostIp, AppPort), AppUid, AppUid);

        Assert.StartsWith("direct-9090 ", excludedPort, StringComparison.Ordinal);
        Assert.StartsWith($"direct-{AppPort} ", excludedRange, StringComparison.Ordinal);
        Assert.Contains($"local={setup.Network.OtherHostIp}:{AppPort}", excludedRange, StringComparison.Ordinal);
        Assert.StartsWith("proxy-outbound ", captured, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Excluded_inbound_ports_are_not_redirected(IptablesBackendChoice backend)
    {
        await using var setup = await Setup.StartAsync(backend, _ => [Pods.Annotation(CaptureAnnotations.ExcludeInboundPorts, "9090")]);
        await using var app = NetnsSockets.Serve(await NetnsSockets.ListenAsync(setup.Network.Pod, Endpoint("0.0.0.0", 9090)), "app-9090");

        var reply = await NetnsSockets.ExchangeAsync(setup.Network.Host, Endpoint(setup.Network.PodIp, 9090));

        Assert.StartsWith("app-9090 ", reply, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Tproxy_mode_delivers_inbound_traffic_with_its_original_destination(IptablesBackendChoice backend)
    {
        await using var setup = await Setup.StartAsync(backend, _ => [Pods.Annotation(CaptureAnnotations.InterceptionMode, "TPROXY")], transparentInbound: true);

        var reply = await NetnsSockets.ExchangeAsync(setup.Network.Host, Endpoint(setup.Network.PodIp, AppPort));

        Assert.StartsWith("proxy-inbound ", reply, StringComparison.Ordinal);
        Assert.EndsWith($"local={setup.Network.PodIp}:{AppPort}", reply, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_IPv6_app_connection_lands_on_15001_with_its_original_destination()
    {
        await using var setup = await Setup.StartAsync(IptablesBackendChoice.Nft, [], ipv6: true);

        var reply = await NetnsSockets.ExchangeAsync(setup.Network.Pod, new IPEndPoint(IPAddress.Parse(setup.Network.HostIp6), AppPort), AppUid, AppUid);

        Assert.StartsWith($"proxy-outbound original=[{setup.Network.HostIp6}]:{AppPort} ", reply, StringComparison.Ordinal);
    }

    private static IPEndPoint Endpoint(string ip, int port) => new(IPAddress.Parse(ip), port);

    /// <summary>The two netns, our rules applied in the pod, the stand-in proxy and the test host's servers.</summary>
    private sealed class Setup : IAsyncDisposable
    {
        private readonly List<IAsyncDisposable> servers = [];

        private Setup(PodNetwork network) => Network = network;

        public PodNetwork Network { get; }

        public static Task<Setup> StartAsync(IptablesBackendChoice backend, KeyValuePair<string, string>[] annotations, bool ipv6 = false) =>
            StartAsync(backend, _ => annotations, ipv6: ipv6);

        public static async Task<Setup> StartAsync(
            IptablesBackendChoice backend, Func<PodNetwork, KeyValuePair<string, string>[]> annotations, bool transparentInbound = false, bool ipv6 = false)
        {
            Root.Require("creates network namespaces, veth pairs and iptables rules");
            var setup = new Setup(await PodNetwork.CreateAsync());
            try
            {
                var network = setup.Network;
                var any = ipv6 ? IPAddress.IPv6Any : IPAddress.Any;
                var rules = Pods.Rules(Pods.Input(annotations(network), ips: ipv6 ? [network.PodIp, network.PodIp6] : [network.PodIp]));
                var programmer = new CaptureProgrammer(new ProcessRunner(), new NetnsProcFiles(), SavedRules.Tools, backend);
                Assert.IsType<ApplyOutcome.Applied>(await programmer.ApplyAsync(network.Pod.Path, rules, CancellationToken.None));

                setup.servers.Add(NetnsSockets.Serve(await NetnsSockets.ListenAsync(network.Pod, new IPEndPoint(any, 15001)), "proxy-outbound"));
                setup.servers.Add(NetnsSockets.Serve(await NetnsSockets.ListenAsync(network.Pod, new IPEndPoint(any, 15006), transparentInbound), "proxy-inbound"));
                foreach (var port in new[] { AppPort, 9090 })
                {
                    setup.servers.Add(NetnsSockets.Serve(await NetnsSockets.ListenAsync(network.Host, new IPEndPoint(any, port)), $"direct-{port}"));
                }

                return setup;
            }
            catch
            {
                await setup.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }

            await Network.DisposeAsync();
        }
    }
}
