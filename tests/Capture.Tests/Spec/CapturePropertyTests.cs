using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using CsCheck;
using IstioPodNetwork.Capture.Programming;
using IstioPodNetwork.Capture.Rules;
using IstioPodNetwork.Capture.Spec;
using IstioPodNetwork.Capture.Tests.Infrastructure;
using IstioPodNetwork.Testing;

namespace IstioPodNetwork.Capture.Tests.Spec;

/// <summary>Random annotation values, a mix of plausible and garbage, through the parser and the rule builder.</summary>
public sealed class CapturePropertyTests
{
    private static readonly string[] Keys =
    [
        CaptureAnnotations.InterceptionMode, CaptureAnnotations.IncludeOutboundIPRanges, CaptureAnnotations.ExcludeOutboundIPRanges,
        CaptureAnnotations.IncludeInboundPorts, CaptureAnnotations.ExcludeInboundPorts, CaptureAnnotations.IncludeOutboundPorts,
        CaptureAnnotations.ExcludeOutboundPorts, CaptureAnnotations.ExcludeInterfaces, CaptureAnnotations.RerouteVirtualInterfaces,
        CaptureAnnotations.KubevirtInterfaces, CaptureAnnotations.EnvoyPort, "sidecar.istio.io/status", "unrelated/annotation",
    ];

    private static readonly Gen<string> Port = Gen.OneOf(Gen.Int[0, 70000].Select(p => p.ToString(CultureInfo.InvariantCulture)), Gen.OneOfConst("15020", "80", "0", "-1", "08", " 443 "));

    private static readonly Gen<string> Cidr = Gen.OneOf(
        Gen.Select(Gen.Int[0, 260], Gen.Int[0, 255], Gen.Int[0, 34], (a, b, bits) => $"{a}.{b}.0.0/{bits}"),
        Gen.Select(Gen.Int[0, 0xffff], Gen.Int[0, 130], (a, bits) => $"fd{a % 256:x2}:{a:x}::/{bits}"),
        Gen.OneOfConst("127.0.0.0/8", "::1/128", "0.0.0.0/0", "10.0.0.1/32", "1.2.3/8", "fe80::1%eth0/64"));

    private static readonly Gen<string> Garbage = Gen.String[Gen.Char["0123456789,*/.:abcdefxyzTRPOXY-_ %"], 0, 14];

    private static readonly Gen<string> Plausible = Gen.OneOf(
        Gen.OneOfConst("*", "", "REDIRECT", "TPROXY", "eth0", "net1,net-2", "a234567890123456"),
        Port.Array[1, 4].Select(ports => string.Join(",", ports)),
        Cidr.Array[1, 3].Select(ranges => string.Join(",", ranges)));

    private static readonly Gen<string> Boolean = Gen.OneOfConst("true", "false", "1", "T", "", "False");

    /// <summary>Mostly values that could be right, some garbage: enough accepted specs to render, enough rejections to check.</summary>
    private static readonly Gen<PodCaptureInput> Input = Gen.Select(
        Gen.Select(Gen.OneOfConst(Keys), Gen.Frequency((9, Plausible), (1, Garbage))).Array[0, 6],
        Gen.Frequency((4, Gen.Const((long?)null)), (4, Gen.Long[0, int.MaxValue].Select(v => (long?)v)), (1, Gen.Long[-5, 3_000_000_000].Select(v => (long?)v))),
        Gen.Frequency((4, Gen.Const((long?)null)), (4, Gen.Long[0, int.MaxValue].Select(v => (long?)v)), (1, Gen.Long[-5, 3_000_000_000].Select(v => (long?)v))),
        Gen.Select(Gen.Frequency((9, Boolean), (1, Garbage)), Gen.Frequency((9, Boolean), (1, Garbage))),
        Gen.OneOfConst<string[]>(["10.1.1.2"], ["10.1.1.2", "fd00:1::2"], ["fd00:1::2"], []),
        (annotations, user, group, environment, ips) => new PodCaptureInput(
            "default",
            "app",
            "uid",
            annotations.GroupBy(a => a.Item1).ToImmutableDictionary(g => g.Key, g => g.Last().Item2),
            new ProxyContainer(user, group, ImmutableDictionary<string, string>.Empty
                .Add(CaptureAnnotations.DnsCaptureVariable, environment.Item1)
                .Add(CaptureAnnotations.InvalidDropVariable, environment.Item2)),
            [.. ips.Select(IPAddress.Parse)]));

    [Fact]
    public void Parsing_never_throws_whatever_the_annotations()
    {
        Input.Sample(input => CaptureSpecParser.Parse(input, CaptureDefaults.Istio), iter: 5000);
    }

    [Fact]
    public void Every_rejection_names_an_input_that_was_given_with_the_value_given()
    {
        Input.Sample(
            input =>
            {
                if (CaptureSpecParser.Parse(input, CaptureDefaults.Istio) is not CaptureParseResult.Rejected rejected)
                {
                    return true;
                }

                return rejected.Errors.All(error => error.Expected.Length > 0 && error.Annotation switch
                {
                    CaptureAnnotations.ProxyRunAsUser => error.Value == input.Proxy!.RunAsUser?.ToString(CultureInfo.InvariantCulture),
                    CaptureAnnotations.ProxyRunAsGroup => error.Value == input.Proxy!.RunAsGroup?.ToString(CultureInfo.InvariantCulture),
                    CaptureAnnotations.DnsCaptureEnv => error.Value == input.Proxy!.Environment[CaptureAnnotations.DnsCaptureVariable],
                    CaptureAnnotations.InvalidDropEnv => error.Value == input.Proxy!.Environment[CaptureAnnotations.InvalidDropVariable],
                    var annotation => input.Annotations.TryGetValue(annotation, out var value) && value == error.Value,
                });
            },
            iter: 5000);
    }

    [Fact]
    public void Every_rule_carries_the_ipnc_comment_and_a_purpose_iptables_save_prints_verbatim()
    {
        Input.Sample(
            input => CaptureSpecParser.Parse(input, CaptureDefaults.Istio) is not CaptureParseResult.Accepted accepted
                || RuleSetBuilder.Build(accepted.Spec).Families.SelectMany(f => f.Tables).SelectMany(t => t.Rules)
                    .All(r => r.Spec.Contains("--comment \"ipnc: ", StringComparison.Ordinal) && r.Purpose.All(c => char.IsAsciiLetterOrDigit(c) || " .,:/()*-".Contains(c, StringComparison.Ordinal))),
            iter: 2000);
    }

    [Fact]
    public async Task Every_accepted_spec_renders_rules_iptables_restore_test_accepts()
    {
        Root.Require("runs iptables-restore --test in a scratch network namespace");
        var texts = new ConcurrentBag<(IpFamily Family, string Text, string Input)>();
        Input.Sample(
            input =>
            {
                if (CaptureSpecParser.Parse(input, CaptureDefaults.Istio) is CaptureParseResult.Accepted accepted)
                {
                    foreach (var family in RuleSetBuilder.Build(accepted.Spec).Families)
                    {
                        texts.Add((family.Family, family.ToRestoreText(), string.Join("; ", input.Annotations.Select(a => $"{a.Key}={a.Value}"))));
                    }
                }
            },
            iter: 800,
            threads: 1);
        Assert.True(texts.Count(t => t.Family == IpFamily.IPv4) > 80, $"only {texts.Count(t => t.Family == IpFamily.IPv4)} accepted specs; the generator is too hostile");

        await using var scratch = await TestNetns.CreateAsync();
        foreach (var backend in new[] { IptablesBackend.Nft, IptablesBackend.Legacy })
        {
            foreach (var family in new[] { IpFamily.IPv4, IpFamily.IPv6 })
            {
                // One --test run per backend and family: blocks are checked one by one and nothing is committed.
                var batch = texts.Where(t => t.Family == family).ToList();
                var result = await Commands.TryInAsync(scratch.Path, string.Concat(batch.Select(t => t.Text)), SavedRules.Tools.Restore(backend, family), "--test");
                Assert.True(result.Succeeded, $"{backend} {family}: {result.StandardError}\n{Culprit(batch, result.StandardError)}");
            }
        }
    }

    /// <summary>The input whose text holds the line iptables-restore complained about.</summary>
    private static string Culprit(List<(IpFamily Family, string Text, string Input)> batch, string error)
    {
        var marker = "Error occurred at line: ";
        var at = error.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0 || !int.TryParse(error[(at + marker.Length)..].Split('\n')[0].Trim(), out var line))
        {
            return string.Empty;
        }

        foreach (var (_, text, input) in batch)
        {
            var lines = text.Count(c => c == '\n');
            if (line <= lines)
            {
                return $"input: {input}\nrules:\n{text}";
            }

            line -= lines;
        }

        return string.Empty;
    }
}
