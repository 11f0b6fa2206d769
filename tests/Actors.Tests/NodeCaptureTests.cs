using IstioPodNetwork.Actors.Ports;
using IstioPodNetwork.Actors.Tests.Fakes;
using IstioPodNetwork.Capture.Netns;
using IstioPodNetwork.Capture.Processes;
using IstioPodNetwork.Capture.Programming;
using IstioPodNetwork.Capture.Spec;

namespace IstioPodNetwork.Actors.Tests;

public sealed class NodeCaptureTests
{
    private readonly NodeCapture capture = new(
        CaptureDefaults.Istio,
        new ProcNetnsFinder("/proc"),
        new CaptureProgrammer(new ProcessRunner(), new NetnsProcFiles(), IptablesTools.FromPath(), IptablesBackendChoice.Auto));

    [Fact]
    public void Pods_asking_for_the_same_rules_share_one_plan_and_others_get_their_own()
    {
        var web = PlanOf("web", "9080");
        var api = PlanOf("api", "9080");
        var db = PlanOf("db", "5432");

        Assert.Same(web, api);
        Assert.NotEqual(web.Fingerprint, db.Fingerprint);
        Assert.Contains("--dport 5432", db.RulesText, StringComparison.Ordinal);
    }

    [Fact]
    public void More_distinct_rule_sets_than_are_shared_still_each_get_their_own_rules()
    {
        var plans = Enumerable.Range(0, 150).Select(i => PlanOf($"pod-{i}", (10000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
        var again = PlanOf("pod-again", "10000");

        Assert.Equal(150, plans.Select(p => p.Fingerprint).Distinct().Count());
        Assert.All(plans.Select((plan, i) => (plan, i)), x => Assert.Contains($"--dport {10000 + x.i}", x.plan.RulesText, StringComparison.Ordinal));
        Assert.Equal(plans[0].Fingerprint, again.Fingerprint);
    }

    private CapturePlan PlanOf(string name, string inboundPorts) =>
        Assert.IsType<CapturePlanning.Planned>(capture.Plan(TestPods.Pod(name, annotations: new Dictionary<string, string>
        {
            [CaptureAnnotations.IncludeInboundPorts] = inboundPorts,
        }))).Plan;
}
