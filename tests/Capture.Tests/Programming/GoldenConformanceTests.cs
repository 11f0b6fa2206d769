using IstioPodNetwork.Capture.Processes;
using IstioPodNetwork.Capture.Programming;
using IstioPodNetwork.Capture.Tests.Infrastructure;
using IstioPodNetwork.Testing;

namespace IstioPodNetwork.Capture.Tests.Programming;

/// <summary>
/// Our rules and Istio's golden, each applied in a fresh netns with the same backend, give the same
/// iptables-save (ignoring our comments, counters and headers): the "same rules as Istio" acceptance test.
/// </summary>
public sealed class GoldenConformanceTests
{
    public static TheoryData<string, IptablesBackend> Cases
    {
        get
        {
            var data = new TheoryData<string, IptablesBackend>();
            foreach (var name in GoldenCases.All.Keys)
            {
                data.Add(name, IptablesBackend.Nft);
                data.Add(name, IptablesBackend.Legacy);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Our_rules_and_the_istio_golden_give_the_same_iptables_save(string name, IptablesBackend backend)
    {
        Root.Require("creates network namespaces and programs iptables in them");
        await using var golden = await TestNetns.CreateAsync();
        await using var ours = await TestNetns.CreateAsync();
        await golden.RunWithInputAsync(GoldenCases.GoldenText(name), SavedRules.Tools.Restore(backend, Capture.Spec.IpFamily.IPv4), "--noflush");

        var programmer = new CaptureProgrammer(new ProcessRunner(), new NetnsProcFiles(), SavedRules.Tools, backend == IptablesBackend.Legacy ? IptablesBackendChoice.Legacy : IptablesBackendChoice.Nft);
        var rules = Pods.Rules(GoldenCases.All[name].Input);
        var outcome = await programmer.ApplyAsync(ours.Path, rules, CancellationToken.None);

        Assert.Equal(new ApplyOutcome.Applied(backend), outcome);
        Assert.Equal(
            SavedRules.Normalise(await SavedRules.SaveAsync(golden, backend)),
            SavedRules.Normalise(await SavedRules.SaveAsync(ours, backend)));
    }
}
