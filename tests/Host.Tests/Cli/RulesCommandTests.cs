using IstioPodNetwork.Host.Cli;

namespace IstioPodNetwork.Host.Tests.Cli;

public sealed class RulesCommandTests : IDisposable
{
    private const string Pod = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: reviews
          namespace: bookinfo
          uid: 5d1c1e36-8f0b-4d7e-9d2f-2f1b5a0c9e11
          annotations:
            traffic.sidecar.istio.io/excludeOutboundPorts: "5555"
        spec:
          containers:
          - name: reviews
            image: reviews
          - name: istio-proxy
            image: proxyv2
            securityContext:
              runAsUser: 1000670000
        status:
          podIPs:
          - ip: 10.1.1.2
        """;

    private readonly string file = Path.Combine(Path.GetTempPath(), $"ipnc-pod-{Guid.NewGuid():N}.yaml");

    [Fact]
    public async Task Rules_prints_the_iptables_restore_text_for_a_pod_manifest()
    {
        await File.WriteAllTextAsync(file, Pod);

        var (exitCode, output, error) = await Run("rules", "-f", file);

        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.Empty(error);
        Assert.StartsWith("* nat\n-N ISTIO_INBOUND\n", output, StringComparison.Ordinal);
        Assert.Contains("-A ISTIO_OUTPUT -p tcp -m tcp --dport 5555 -m comment --comment \"ipnc: outbound port 5555 excluded\" -j RETURN", output, StringComparison.Ordinal);
        Assert.Contains("--uid-owner 1000670000", output, StringComparison.Ordinal);
        Assert.DoesNotContain("# ip6tables-restore", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pod_with_an_IPv6_address_gets_the_ip6tables_text_after_a_marker_line()
    {
        await File.WriteAllTextAsync(file, Pod.Replace("  - ip: 10.1.1.2", "  - ip: 10.1.1.2\n  - ip: fd00:1::2", StringComparison.Ordinal));

        var (exitCode, output, _) = await Run("rules", "-f", file);

        Assert.Equal(ExitCodes.Ok, exitCode);
        var parts = output.Split("# ip6tables-restore\n");
        Assert.Equal(2, parts.Length);
        Assert.Contains("127.0.0.1/32", parts[0], StringComparison.Ordinal);
        Assert.Contains("::1/128", parts[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_annotation_error_is_one_line_and_exit_code_1()
    {
        await File.WriteAllTextAsync(file, Pod
            .Replace("excludeOutboundPorts: \"5555\"", "excludeOutboundPorts: \"55x\"\n    sidecar.istio.io/interceptionMode: NONE", StringComparison.Ordinal));

        var (exitCode, output, error) = await Run("rules", "-f", file);

        Assert.Equal(ExitCodes.Failed, exitCode);
        Assert.Empty(output);
        Assert.Equal(
            [
                "annotation sidecar.istio.io/interceptionMode: \"NONE\" is not REDIRECT or TPROXY",
                "annotation traffic.sidecar.istio.io/excludeOutboundPorts: \"55x\" is not a comma-separated list of ports (0-65535)",
            ],
            error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_JSON_manifest_works_too()
    {
        await File.WriteAllTextAsync(file, """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","uid":"u"},"status":{"podIP":"10.1.1.2"}}""");

        var (exitCode, output, _) = await Run("rules", "-f", file);

        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.Contains("-j ISTIO_REDIRECT", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unparseable_file_is_one_line_and_exit_code_2()
    {
        await File.WriteAllTextAsync(file, "kind: Pod\nmetadata: [unclosed\n");

        var (exitCode, _, error) = await Run("rules", "-f", file);

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.StartsWith($"ipnc: {file} is not a Pod manifest (YAML or JSON): ", Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_file_is_one_line_and_exit_code_2()
    {
        var (exitCode, _, error) = await Run("rules", "-f", file);

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.StartsWith($"ipnc: cannot read {file}: ", Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Node_defaults_come_from_the_capture_settings()
    {
        await File.WriteAllTextAsync(file, Pod);

        var (exitCode, output, _) = await Run("rules", "-f", file, "--capture-inbound-port", "16006");

        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.Contains("-j REDIRECT --to-ports 16006", output, StringComparison.Ordinal);
    }

    public void Dispose() => File.Delete(file);

    private static async Task<(int ExitCode, string Output, string Error)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await IpncCli.RunAsync(args, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }
}
