using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using IstioPodNetwork.Capture.Processes;

namespace IstioPodNetwork.Capture.Validation;

/// <summary>An application in the pod, running as <paramref name="Uid"/>/<paramref name="Gid"/>, connects to <paramref name="Destination"/> outside the pod.</summary>
/// <param name="PodNetns">The pod's network namespace (a file such as /run/netns/NAME or /proc/PID/ns/net).</param>
/// <param name="ProxyPort">Where capture should send it: the proxy's outbound port (Envoy's 15001).</param>
public sealed record OutboundProbe(string PodNetns, IPEndPoint Destination, uint Uid, uint Gid, ushort ProxyPort)
{
    public TimeSpan Timeout { get; init; } = TrafficProbe.DefaultTimeout;

    public override string ToString() => $"outbound to {Destination} as uid {Uid} gid {Gid}";
}

/// <summary>A caller in <paramref name="CallerNetns"/> connects to <paramref name="PodEndpoint"/>, an application port of the pod.</summary>
/// <param name="PodNetns">The pod's network namespace.</param>
/// <param name="ProxyPort">Where capture should send it: the proxy's inbound port (Envoy's 15006).</param>
/// <param name="Tproxy">The pod uses TPROXY interception: the stand-in listens transparently and the destination is kept.</param>
public sealed record InboundProbe(string PodNetns, IPEndPoint PodEndpoint, string CallerNetns, ushort ProxyPort, bool Tproxy = false)
{
    public TimeSpan Timeout { get; init; } = TrafficProbe.DefaultTimeout;

    public override string ToString() => $"inbound to {PodEndpoint} from {CallerNetns}";
}

/// <summary>What a probe found. Only <see cref="Captured"/> proves capture; the others say why not.</summary>
public abstract record ProbeResult
{
    private ProbeResult()
    {
    }

    /// <summary>The connection landed on the stand-in proxy.</summary>
    public sealed record Captured(Landing Landing) : ProbeResult
    {
        public override string ToString() => $"captured, landed on the proxy port ({Landing.Local}) with original destination {Landing.IntendedDestination}";
    }

    /// <summary>The connection was made, to something other than the stand-in proxy; <paramref name="Answer"/> is the first line that server sent, if any.</summary>
    /// <param name="Source">The caller's end of the connection.</param>
    public sealed record Bypassed(IPEndPoint Source, string Answer) : ProbeResult
    {
        public override string ToString() =>
            $"not captured, connected past the proxy port{(Answer.Length == 0 ? string.Empty : $" (the server said \"{Answer}\")")}";
    }

    /// <summary>No connection (refused, unreachable, no answer in time), and the stand-in proxy saw none.</summary>
    public sealed record NotConnected(string Reason) : ProbeResult
    {
        public override string ToString() => $"not captured, {Reason} and the proxy port saw nothing";
    }

    /// <summary>The probe could not run: the netns cannot be joined, the proxy port is taken there.</summary>
    public sealed record NotRun(string Reason) : ProbeResult
    {
        public override string ToString() => $"not checked, {Reason}";
    }
}

/// <summary>
/// Proves that traffic capture works in a pod with one real TCP connection: a stand-in proxy listens on the
/// proxy port inside the pod's netns while a caller connects to an address the rules should capture; the
/// connection must land on the stand-in, which reads where it was going (SO_ORIGINAL_DST). Every outcome is
/// a <see cref="ProbeResult"/>; each step is bounded by the probe's timeout. Needs root (setns, setfsuid).
/// </summary>
public static class TrafficProbe
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(3);

    private const string StandInName = "ipnc-probe stand-in proxy";

    private static readonly TimeSpan PortInUsePatience = TimeSpan.FromMilliseconds(500);

    private static readonly ProcessRunner Routes = new();

    public static Task<ProbeResult> RunAsync(OutboundProbe probe, CancellationToken cancellationToken = default) =>
        RunAsync(probe.PodNetns, probe.ProxyPort, transparent: false, probe.PodNetns, probe.Uid, probe.Gid, probe.Destination, probe.Timeout, cancellationToken);

    /// <summary>Refused (<see cref="ProbeResult.NotRun"/>) when the caller's netns would reach the pod only through its default route.</summary>
    public static async Task<ProbeResult> RunAsync(InboundProbe probe, CancellationToken cancellationToken = default) =>
        await CallerRoute.RefusalAsync(Routes, probe.CallerNetns, probe.PodEndpoint.Address, cancellationToken) is { } refusal
            ? new ProbeResult.NotRun(refusal)
            : await RunAsync(probe.PodNetns, probe.ProxyPort, probe.Tproxy, probe.CallerNetns, 0, 0, probe.PodEndpoint, probe.Timeout, cancellationToken);

    /// <summary>
    /// The stand-in proxy's listener. A port in use is looked at again for up to <see cref="PortInUsePatience"/>: a
    /// stand-in closed a moment ago (the previous probe in this pod) stays listening for as long as some process
    /// this one forked meanwhile has not yet reached exec, since the fork copied its descriptor. A proxy that is
    /// really running there still holds the port after that.
    /// </summary>
    private static async Task<LandingListener> ListenAsProxyAsync(string podNetns, IPEndPoint endpoint, bool transparent, CancellationToken cancellationToken)
    {
        var patience = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await LandingListener.StartAsync(podNetns, endpoint, StandInName, transparent);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse && patience.Elapsed < PortInUsePatience)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
            }
        }
    }

    private static async Task<ProbeResult> RunAsync(
        string podNetns, ushort proxyPort, bool transparent, string callerNetns, uint uid, uint gid, IPEndPoint destination, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var any = destination.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
        LandingListener proxy;
        try
        {
            proxy = await ListenAsProxyAsync(podNetns, new IPEndPoint(any, proxyPort), transparent, cancellationToken);
        }
        catch (NetnsUnavailableException e)
        {
            return new ProbeResult.NotRun(e.Message);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return new ProbeResult.NotRun($"port {proxyPort} is already in use in {podNetns} (is the proxy running?)");
        }
        catch (SocketException e)
        {
            return new ProbeResult.NotRun($"cannot listen on port {proxyPort} in {podNetns}: {e.Message}");
        }

        await using (proxy)
        {
            Socket caller;
            try
            {
                caller = await NetnsSockets.CreateAsync(callerNetns, destination.AddressFamily, uid, gid);
            }
            catch (NetnsUnavailableException e)
            {
                return new ProbeResult.NotRun(e.Message);
            }

            using (caller)
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                deadline.CancelAfter(timeout);
                try
                {
                    await caller.ConnectAsync(destination, deadline.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    return new ProbeResult.NotConnected($"no answer within {timeout.TotalSeconds:0.#} s");
                }
                catch (SocketException e)
                {
                    return new ProbeResult.NotConnected(e.Message.ToLowerInvariant());
                }

                var source = (IPEndPoint)caller.LocalEndPoint!;
                var answer = await ReadAnswerAsync(caller, deadline.Token);
                return proxy.LandingFrom(source) is { } landing ? new ProbeResult.Captured(landing) : new ProbeResult.Bypassed(source, answer);
            }
        }
    }

    /// <summary>The first line the server sends before it closes, or what came before the deadline.</summary>
    private static async Task<string> ReadAnswerAsync(Socket socket, CancellationToken deadline)
    {
        var received = new List<byte>();
        var buffer = new byte[256];
        try
        {
            int count;
            while (received.Count < 1024 && (count = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline)) > 0)
            {
                received.AddRange(buffer.AsSpan(0, count));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            // A silent server or a reset: what arrived is the answer.
        }

        return Encoding.UTF8.GetString([.. received]).Split('\n', 2)[0].Trim();
    }
}
