using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace IstioPodNetwork.KubeSim.Hosting;

/// <summary>The `kubesim` executable: parse flags, serve, print one "ready" line, tear everything down on SIGINT/SIGTERM.</summary>
internal static class KubeSimCommand
{
    public const string Usage = """
        usage: kubesim [--listen ADDRESS:PORT] [--listen-interface NAME] [--tls] [--kubeconfig-out FILE]
                       [--node NAME]... [--sandbox none|netns] [--cgroup-driver cgroupfs|systemd]
                       [--cluster-cidr CIDR] [--uplink-bridge NAME --uplink-cidr CIDR] [--prefix PREFIX]
                       [--log-level debug|information|warning|error]

          --listen            where to serve (default 127.0.0.1:0, a free port); a non-loopback address must
                              belong to the test interface given with --listen-interface (never eth0)
          --tls               serve HTTPS with a certificate authority made for this run (in the kubeconfig);
                              API requests must then carry the kubeconfig's bearer token (401 otherwise)
          --kubeconfig-out    write a kubeconfig for the server there (default: a temporary file, removed on exit)
          --node              register a simulated node (repeatable)
          --sandbox           netns: real network namespaces, veths and cgroups per pod (root); none (default)
          --cgroup-driver     cgroup layout of pod sandboxes (default cgroupfs)
          --cluster-cidr      pod network, at most a /23 (default a 10.(200..249).0.0/16)
          --uplink-bridge/-cidr  connect every node netns to this caller-made bridge, node IPs from the CIDR
          --prefix            prefix of every netns and interface made (default ks + 4 random hex digits)
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        KubeSimOptions options;
        LogLevel level;
        try
        {
            (options, level) = Parse(args);
        }
        catch (ArgumentException e)
        {
            await error.WriteLineAsync($"kubesim: {e.Message}");
            return 2;
        }
        catch (HelpRequestedException)
        {
            await output.WriteLineAsync(Usage);
            return 0;
        }

        using var loggerFactory = LoggerFactory.Create(logging => logging
            .SetMinimumLevel(level)
            .AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "HH:mm:ss.fff ";
            })
            .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace));
        using var stop = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

        KubeSimServer sim;
        try
        {
            sim = await KubeSimServer.StartAsync(options with { LoggerFactory = loggerFactory }, stop.Token);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
        {
            await error.WriteLineAsync($"kubesim: {e.Message}");
            return e is ArgumentException ? 2 : 1;
        }

        await using (sim)
        {
            await output.WriteLineAsync($"kubesim: ready {sim.Url} kubeconfig {sim.KubeconfigPath}");
            await output.FlushAsync(CancellationToken.None);
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
                // SIGINT or SIGTERM: fall through to the teardown.
            }
        }

        await error.WriteLineAsync("kubesim: stopped, every sandbox removed");
        return 0;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    internal static (KubeSimOptions Options, LogLevel Level) Parse(IReadOnlyList<string> args)
    {
        var options = new KubeSimOptions();
        var nodes = new List<string>();
        string? uplinkBridge = null;
        string? uplinkCidr = null;
        var level = LogLevel.Information;
        for (var i = 0; i < args.Count; i++)
        {
            var flag = args[i];
            if (flag is "--help" or "-h")
            {
                throw new HelpRequestedException();
            }

            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{flag}: expected a value after it");
            switch (flag)
            {
                case "--listen":
                    var (address, port) = ParseEndpoint(Value());
                    options = options with { ListenAddress = address, Port = port };
                    break;
                case "--tls":
                    options = options with { Tls = true };
                    break;
                case "--listen-interface":
                    options = options with { ListenInterface = Value() };
                    break;
                case "--kubeconfig-out":
                    options = options with { KubeconfigPath = Value() };
                    break;
                case "--node":
                    nodes.Add(Value());
                    break;
                case "--sandbox":
                    options = options with { Sandbox = ParseEnum<SandboxKind>(flag, Value(), "none or netns") };
                    break;
                case "--cgroup-driver":
                    options = options with { CgroupDriver = ParseEnum<CgroupDriver>(flag, Value(), "cgroupfs or systemd") };
                    break;
                case "--cluster-cidr":
                    options = options with { ClusterCidr = Value() };
                    break;
                case "--uplink-bridge":
                    uplinkBridge = Value();
                    break;
                case "--uplink-cidr":
                    uplinkCidr = Value();
                    break;
                case "--prefix":
                    options = options with { NamePrefix = Value() };
                    break;
                case "--log-level":
                    level = ParseEnum<LogLevel>(flag, Value(), "debug, information, warning or error");
                    break;
                default:
                    throw new ArgumentException($"unknown flag \"{flag}\"; see kubesim --help");
            }
        }

        if ((uplinkBridge is null) != (uplinkCidr is null))
        {
            throw new ArgumentException("--uplink-bridge and --uplink-cidr: give both or neither");
        }

        return (options with
        {
            Nodes = nodes,
            Uplink = uplinkBridge is null ? null : new UplinkOptions(uplinkBridge, uplinkCidr!),
        }, level);
    }

    private static (IPAddress Address, int Port) ParseEndpoint(string text)
    {
        if (IPEndPoint.TryParse(text, out var endpoint) && text.Contains(':', StringComparison.Ordinal) && endpoint.Port is >= 0 and <= 65535)
        {
            return (endpoint.Address, endpoint.Port);
        }

        throw new ArgumentException($"--listen: \"{text}\" is not ADDRESS:PORT (e.g. 127.0.0.1:6443 or [::1]:6443; port 0 picks a free one)");
    }

    private static T ParseEnum<T>(string flag, string text, string expected)
        where T : struct, Enum =>
        Enum.TryParse<T>(text, ignoreCase: true, out var value) && !int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
            ? value
            : throw new ArgumentException($"{flag}: \"{text}\" is not {expected}");

    private sealed class HelpRequestedException : Exception;
}
