using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using IstioPodNetwork.Capture.Tests.Infrastructure;
using IstioPodNetwork.Capture.Validation;
using IstioPodNetwork.Testing;

namespace IstioPodNetwork.Capture.Tests.Validation;

/// <summary>The probe's outcomes other than "captured": each a typed result naming why, never an exception.</summary>
public sealed class TrafficProbeTests
{
    [Fact]
    public async Task A_pod_netns_that_does_not_exist_is_not_run_and_says_which()
    {
        var missing = $"/run/netns/{TestNetns.RunPrefix}-missing";

        var result = await TrafficProbe.RunAsync(new OutboundProbe(missing, new IPEndPoint(IPAddress.Parse("10.1.1.1"), 80), 1000, 1000, 15001));

        var notRun = Assert.IsType<ProbeResult.NotRun>(result);
        Assert.Contains(missing, notRun.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stand_in_proxy_still_held_for_a_moment_by_a_forked_process_is_waited_for()
    {
        Root.Require("creates network namespaces and a veth pair");
        await using var network = await PodNetwork.CreateAsync();
        // The previous probe's stand-in, closed here but still open in a process that was forked while it listened
        // and has not reached exec yet: here a child that inherits it and keeps it for 300 ms.
        var previous = await NetnsSockets.ListenAsync(network.Pod.Path, new IPEndPoint(IPAddress.Any, 15001));
        Assert.Equal(0, Fcntl((int)previous.Handle, SetDescriptorFlags, 0));
        using var holder = Process.Start(new ProcessStartInfo("sleep", "0.3"))!;
        try
        {
            previous.Dispose();

            var result = await TrafficProbe.RunAsync(new OutboundProbe(network.Pod.Path, new IPEndPoint(IPAddress.Parse(network.HostIp), 8080), 1000, 1000, 15001));

            Assert.IsType<ProbeResult.NotConnected>(result);
        }
        finally
        {
            if (!holder.HasExited)
            {
                holder.Kill();
            }

            await holder.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task A_proxy_port_already_taken_in_the_pod_is_not_run_rather_than_a_false_verdict()
    {
        Root.Require("creates network namespaces and a veth pair");
        await using var network = await PodNetwork.CreateAsync();
        await using var proxy = await LandingListener.StartAsync(network.Pod.Path, new IPEndPoint(IPAddress.Any, 15001), "a running proxy");

        var result = await TrafficProbe.RunAsync(new OutboundProbe(network.Pod.Path, new IPEndPoint(IPAddress.Parse(network.HostIp), 8080), 1000, 1000, 15001));

        Assert.Contains("port 15001 is already in use", Assert.IsType<ProbeResult.NotRun>(result).Reason, StringComparison.Ordinal);
        Assert.Empty(proxy.Landings);
    }

    [Fact]
    public async Task Without_capture_rules_a_refused_connection_is_not_connected_and_the_proxy_port_saw_nothing()
    {
        Root.Require("creates network namespaces and a veth pair");
        await using var network = await PodNetwork.CreateAsync();

        var result = await TrafficProbe.RunAsync(new OutboundProbe(network.Pod.Path, new IPEndPoint(IPAddress.Parse(network.HostIp), 8080), 1000, 1000, 15001));

        var notConnected = Assert.IsType<ProbeResult.NotConnected>(result);
        Assert.Equal("connection refused", notConnected.Reason);
        Assert.Equal("not captured, connection refused and the proxy port saw nothing", notConnected.ToString());
    }

    private const int SetDescriptorFlags = 2; // F_SETFD: 0 clears FD_CLOEXEC, so a child process inherits the socket

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int Fcntl(int fd, int command, int argument);
}
