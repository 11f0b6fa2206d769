using IstioPodNetwork.Capture.Processes;
using IstioPodNetwork.Capture.Programming;
using IstioPodNetwork.Capture.Rules;
using IstioPodNetwork.Capture.Spec;
using IstioPodNetwork.Capture.Tests.Infrastructure;
using IstioPodNetwork.Testing;

namespace IstioPodNetwork.Capture.Tests.Programming;

/// <summary>Idempotency, drift repair, foreign rules, removal and failures of the programmer, in real netns.</summary>
public sealed class CaptureProgrammerTests
{
    public static TheoryData<IptablesBackendChoice> Backends => [IptablesBackendChoice.Nft, IptablesBackendChoice.Legacy];

    private static readonly RuleSet Basic = Pods.Rules(GoldenCases.All["basic"].Input);

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Applying_twice_changes_nothing_the_second_time(IptablesBackendChoice backend)
    {
        Root.Require("programs iptables in a network namespace");
        await using var netns = await TestNetns.CreateAsync();
        Assert.IsType<ApplyOutcome.Applied>(await Programmer(new RecordingRunner(), backend).ApplyAsync(netns.Path, Basic, CancellationToken.None));
        var before = await SavedRules.SaveAsync(netns, Backend(backend));
        var runner = new RecordingRunner();
        var programmer = Programmer(runner, backend);

        var second = await programmer.ApplyAsync(netns.Path, Basic, CancellationToken.None);

        Assert.IsType<ApplyOutcome.Unchanged>(second);
        Assert.All(runner.Restores, r => Assert.True(IsFreshAttempt(r), "the second apply ran a restore that could change something: " + r.StandardInput));
        Assert.Equal(SavedRules.Normalise(before), SavedRules.Normalise(await SavedRules.SaveAsync(netns, Backend(backend))));
        Assert.True(Clean(await programmer.VerifyAsync(netns.Path, Basic, CancellationToken.None)));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_drifted_rule_set_is_repaired_in_one_restore_transaction(IptablesBackendChoice backend)
    {
        Root.Require("programs iptables in a network namespace");
        await using var netns = await TestNetns.CreateAsync();
        var programmer = Programmer(new RecordingRunner(), backend);
        Assert.IsType<ApplyOutcome.Applied>(await programmer.ApplyAsync(netns.Path, Basic, CancellationToken.None));

        // Drift: a rule of ours deleted, a stray rule added to one of our chains, a jump duplicated.
        await netns.RunAsync(Iptables(backend), "-t", "nat", "-D", "ISTIO_INBOUND", "-p", "tcp", "-m", "tcp", "--dport", "15021", "-m", "comment", "--comment", "ipnc: inbound port 15021 excluded", "-j", "RETURN");
        await netns.RunAsync(Iptables(backend), "-t", "nat", "-A", "ISTIO_OUTPUT", "-d", "10.99.0.0/16", "-j", "RETURN");
        await netns.RunAsync(Iptables(backend), "-t", "nat", "-A", "PREROUTING", "-p", "tcp", "-j", "ISTIO_INBOUND");
        var drifted = await programmer.VerifyAsync(netns.Path, Basic, CancellationToken.None);
        var report = Assert.IsType<VerifyResult.Report>(drifted);
        Assert.Contains(report.Missing, d => d.Rule.Contains("--dport 15021", StringComparison.Ordinal));
        Assert.Contains(report.Unexpected, d => d.Rule.Contains("10.99.0.0/16", StringComparison.Ordinal));
        Assert.Contains(report.Unexpected, d => d.Chain == "PREROUTING");

        var runner = new RecordingRunner();
        var repaired = await Programmer(runner, backend).ApplyAsync(netns.Path, Basic, CancellationToken.None);

        var outcome = Assert.IsType<ApplyOutcome.Repaired>(repaired);
        Assert.Equal(3, outcome.Drift.Length);
        Assert.Single(runner.Restores, r => !IsFreshAttempt(r));
        Assert.True(Clean(await programmer.VerifyAsync(netns.Path, Basic, CancellationToken.None)));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Foreign_rules_in_the_same_tables_survive_apply_repair_and_remove(IptablesBackendChoice backend)
    {
        Root.Require("programs iptables in a network namespace");
        await using var netns = await TestNetns.CreateAsync();
        await netns.RunWithInputAsync(
            "*nat\n:FOREIGN - [0:0]\n-A FOREIGN -d 10.77.0.0/16 -j RETURN\n-A OUTPUT -d 10.66.0.0/16 -j FOREIGN\n-A PREROUTING -p udp -j ACCEPT\nCOMMIT\n*mangle\n-A OUTPUT -p udp -j MARK --set-xmark 0x7/0xffffffff\nCOMMIT\n",
            SavedRules.Tools.Restore(Backend(backend), IpFamily.IPv4),
            "--noflush");
        var foreign = Foreign(await SavedRules.SaveAsync(netns, Backend(backend)));
        Assert.Equal(5, foreign.Count);
        var programmer = Programmer(new RecordingRunner(), backend);

        Assert.IsType<ApplyOutcome.Applied>(await programmer.ApplyAsync(netns.Path, Pods.Rules(GoldenCases.All["tproxy"].Input), CancellationToken.None));
        Assert.Equal(foreign, Foreign(await SavedRules.SaveAsync(netns, Backend(backend))));
        Assert.IsType<ApplyOutcome.Repaired>(await programmer.ApplyAsync(netns.Path, Basic, CancellationToken.None));
        Assert.Equal(foreign, Foreign(await SavedRules.SaveAsync(netns, Backend(backend))));
        Assert.IsType<RemoveOutcome.Removed>(await programmer.RemoveAsync(netns.Path, CancellationToken.None));

        var after = SavedRules.Normalise(await SavedRules.SaveAsync(netns, Backend(backend)));
        Assert.Equal(foreign, Foreign(await SavedRules.SaveAsync(netns, Backend(backend))));
        Assert.DoesNotContain(after, line => line.Contains("ISTIO_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Remove_deletes_our_rules_chains_and_tproxy_routes_and_then_has_nothing_to_remove()
    {
        Root.Require("programs iptables and routes in a network namespace");
        await using var netns = await TestNetns.CreateAsync();
        var programmer = Programmer(new RecordingRunner(), IptablesBackendChoice.Auto);
        var tproxy = Pods.Rules(Pods.Input([Pods.Annotation(CaptureAnnotations.InterceptionMode, "TPROXY")], ips: ["10.1.1.2", "fd00:1::2"]));
        Assert.IsType<ApplyOutcome.Applied>(await programmer.ApplyAsync(netns.Path, tproxy, CancellationToken.None));
        Assert.IsType<ApplyOutcome.Unchanged>(await programmer.ApplyAsync(netns.Path, tproxy, CancellationToken.None));
        Assert.Contains("fwmark 0x539 lookup 133", await netns.RunAsync("ip", "-6", "rule", "show"), StringComparison.Ordinal);
        Assert.Single((await netns.RunAsync("ip", "-4", "rule", "show")).Split('\n'), l => l.Contains("fwmark 0x539 lookup 133", StringComparison.Ordinal));

        var removed = await programmer.RemoveAsync(netns.Path, CancellationToken.None);

        Assert.IsType<RemoveOutcome.Removed>(removed);
        Assert.DoesNotContain("ISTIO_", await netns.RunAsync("iptables-nft-save"), StringComparison.Ordinal);
        Assert.DoesNotContain("ISTIO_", await netns.RunAsync("ip6tables-nft-save"), StringComparison.Ordinal);
        Assert.DoesNotContain("lookup 133", await netns.RunAsync("ip", "-4", "rule", "show"), StringComparison.Ordinal);
        Assert.DoesNotContain("lookup 133", await netns.RunAsync("ip", "-6", "rule", "show"), StringComparison.Ordinal);
        Assert.IsType<RemoveOutcome.NothingToRemove>(await programmer.RemoveAsync(netns.Path, CancellationToken.None));
    }

    [Fact]
    public async Task IPv6_rules_are_applied_only_when_the_pod_has_an_IPv6_address()
    {
        Root.Require("programs iptables in a network namespace");
        await using var single = await TestNetns.CreateAsync();
        await using var dual = await TestNetns.CreateAsync();
        var programmer = Programmer(new RecordingRunner(), IptablesBackendChoice.Nft);

        await programmer.ApplyAsync(single.Path, Pods.Rules(Pods.Input(ips: ["10.1.1.2"])), CancellationToken.None);
        await programmer.ApplyAsync(dual.Path, Pods.Rules(Pods.Input(ips: ["10.1.1.2", "fd00:1::2"])), CancellationToken.None);

        Assert.DoesNotContain("ISTIO_", await single.RunAsync("ip6tables-nft-save"), StringComparison.Ordinal);
        var v6 = await dual.RunAsync("ip6tables-nft-save");
        Assert.Contains("-A ISTIO_OUTPUT -s ::6/128 -o lo", v6, StringComparison.Ordinal);
        Assert.Contains("-A ISTIO_OUTPUT -d ::1/128 -m comment", v6, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_restore_is_a_failed_outcome_naming_the_tool_not_an_exception()
    {
        Root.Require("reads a network namespace");
        await using var netns = await TestNetns.CreateAsync();
        var programmer = Programmer(new RecordingRunner(r => r.Argv[0].EndsWith("-restore", StringComparison.Ordinal)), IptablesBackendChoice.Nft);

        var outcome = await programmer.ApplyAsync(netns.Path, Basic, CancellationToken.None);

        var failed = Assert.IsType<ApplyOutcome.Failed>(outcome);
        Assert.Contains("iptables-nft-restore failed", failed.Reason, StringComparison.Ordinal);
        Assert.Contains("failing on purpose", failed.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_save_makes_verify_fail_with_the_reason()
    {
        Root.Require("reads a network namespace");
        await using var netns = await TestNetns.CreateAsync();
        var programmer = Programmer(new RecordingRunner(r => r.Argv[0].EndsWith("-save", StringComparison.Ordinal)), IptablesBackendChoice.Nft);

        var result = await programmer.VerifyAsync(netns.Path, Basic, CancellationToken.None);

        Assert.Contains("iptables-nft-save failed", Assert.IsType<VerifyResult.Failed>(result).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_network_namespace_that_is_gone_is_a_failed_outcome()
    {
        var programmer = Programmer(new RecordingRunner(), IptablesBackendChoice.Auto);

        var outcome = await programmer.ApplyAsync("/var/run/netns/" + TestNetns.RunPrefix + "-never-made", Basic, CancellationToken.None);

        Assert.Contains("cannot open network namespace", Assert.IsType<ApplyOutcome.Failed>(outcome).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Auto_detection_keeps_legacy_for_a_netns_that_already_has_legacy_rules_and_picks_nft_otherwise()
    {
        Root.Require("programs iptables in a network namespace");
        await using var legacy = await TestNetns.CreateAsync();
        await using var fresh = await TestNetns.CreateAsync();
        await legacy.RunAsync("iptables-legacy", "-t", "filter", "-A", "INPUT", "-p", "udp", "-j", "ACCEPT");
        var programmer = Programmer(new RecordingRunner(), IptablesBackendChoice.Auto);

        Assert.Equal(new ApplyOutcome.Applied(IptablesBackend.Legacy), await programmer.ApplyAsync(legacy.Path, Basic, CancellationToken.None));
        Assert.Equal(new ApplyOutcome.Applied(IptablesBackend.Nft), await programmer.ApplyAsync(fresh.Path, Basic, CancellationToken.None));
        Assert.Contains("ISTIO_OUTPUT", await legacy.RunAsync("iptables-legacy-save"), StringComparison.Ordinal);
        Assert.Contains("ISTIO_OUTPUT", await fresh.RunAsync("iptables-nft-save"), StringComparison.Ordinal);
    }

    private static CaptureProgrammer Programmer(IProcessRunner runner, IptablesBackendChoice backend) =>
        new(runner, new NetnsProcFiles(), SavedRules.Tools, backend);

    private static IptablesBackend Backend(IptablesBackendChoice choice) => choice == IptablesBackendChoice.Legacy ? IptablesBackend.Legacy : IptablesBackend.Nft;

    private static string Iptables(IptablesBackendChoice choice) => choice == IptablesBackendChoice.Legacy ? "iptables-legacy" : "iptables-nft";

    /// <summary>The first restore of an apply tries the fresh-netns text, recognisable by its -N lines.</summary>
    private static bool IsFreshAttempt(ProcessRequest request) => request.StandardInput?.Contains("\n-N ", StringComparison.Ordinal) == true;

    private static bool Clean(VerifyResult result) => result is VerifyResult.Report { Clean: true };

    /// <summary>Every chain and rule in the save that is not ours, as "table chain: rule".</summary>
    private static List<string> Foreign(string save) =>
    [
        .. IptablesSave.Parse(save).OrderBy(p => p.Key, StringComparer.Ordinal).SelectMany(table =>
            table.Value.Chains.Where(c => !Reconciliation.IsOurChain(c) && !BuiltIn.Contains(c)).Select(c => $"{table.Key} :{c}")
                .Concat(table.Value.Rules.Where(p => !Reconciliation.IsOurChain(p.Key))
                    .SelectMany(p => p.Value.Where(r => !Reconciliation.IsOurRule(r)).Select(r => $"{table.Key} {p.Key}: {r}")))),
    ];

    private static readonly HashSet<string> BuiltIn = ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"];
}
