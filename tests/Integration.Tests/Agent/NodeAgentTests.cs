using System.Text.RegularExpressions;
using IstioPodNetwork.Integration.Tests.Support;
using IstioPodNetwork.Kube;
using IstioPodNetwork.Integration.Tests.Commands;
using IstioPodNetwork.Testing;
using k8s;
using k8s.Models;
using Xunit.Abstractions;

namespace IstioPodNetwork.Integration.Tests.Agent;

/// <summary>The node agent doing the product's job for real: KubeSim, real sandboxes, real iptables, a real agent process.</summary>
public sealed partial class NodeAgentTests(ITestOutputHelper output)
{
    private const string CaptureJump = "-A OUTPUT -m comment --comment \"ipnc: capture outbound traffic\" -j ISTIO_OUTPUT";
    private static readonly TimeSpan Burst = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Thirty_pods_with_mixed_annotations_end_exactly_as_each_asked()
    {
        await using var node = await NodeUnderTest.StartAsync(output);
        var optIn = new Dictionary<string, string> { [PodMarkers.InitializeAnnotation] = "true" };
        var optOut = new Dictionary<string, string> { [PodMarkers.InitializeAnnotation] = "false" };
        await node.CreateNamespaceAsync("mesh", initialize: "true");
        await node.CreateNamespaceAsync("mixed", initialize: "true");
        await node.CreateNamespaceAsync("plain");
        await node.Client.CoreV1.PatchNamespaceAsync(
            new V1Patch($"{{\"metadata\":{{\"annotations\":{{\"{PodMarkers.InitializeAnnotation}\":\"true\"}}}}}}", V1Patch.PatchType.MergePatch), "kube-system");

        var expected = new List<(string Ns, string Name)>();
        var untouched = new List<(string Ns, string Name)>();
        for (var i = 0; i < 10; i++)
        {
            await node.CreatePodAsync("mesh", $"ns-opt-in-{i}");
            expected.Add(("mesh", $"ns-opt-in-{i}"));
        }

        for (var i = 0; i < 2; i++)
        {
            await node.CreatePodAsync("mesh", $"pod-opt-out-{i}", optOut);
            untouched.Add(("mesh", $"pod-opt-out-{i}"));
        }

        await node.CreatePodAsync("mesh", "host-network", hostNetwork: true);
        untouched.Add(("mesh", "host-network"));
        await node.CreatePodAsync("mesh", "bad-annotation", new Dictionary<string, string> { ["traffic.sidecar.istio.io/includeInboundPorts"] = "80,http" });
        for (var i = 0; i < 8; i++)
        {
            await node.CreatePodAsync("plain", $"not-asked-{i}");
            untouched.Add(("plain", $"not-asked-{i}"));
        }

        for (var i = 0; i < 4; i++)
        {
            await node.CreatePodAsync("plain", $"pod-opt-in-{i}", optIn);
            expected.Add(("plain", $"pod-opt-in-{i}"));
        }

        for (var i = 0; i < 2; i++)
        {
            await node.CreatePodAsync("kube-system", $"excluded-{i}", optIn);
            untouched.Add(("kube-system", $"excluded-{i}"));
        }

        for (var i = 0; i < 2; i++)
        {
            await node.CreatePodAsync("mixed", $"mixed-{i}", new Dictionary<string, string> { ["traffic.sidecar.istio.io/excludeOutboundIPRanges"] = "10.96.0.0/12" });
            expected.Add(("mixed", $"mixed-{i}"));
        }

        Assert.Equal(30, expected.Count + untouched.Count + 1);

        foreach (var group in expected.GroupBy(p => p.Ns))
        {
            await node.AwaitInitializedAsync(group.Key, group.Select(p => p.Name), Burst);
        }

        var failed = await Eventually.ReturnsAsync(
            async () => NodeUnderTest.Condition(await node.ReadPodAsync("mesh", "bad-annotation")) is { Status: "False" } condition ? condition : null,
            TimeSpan.FromSeconds(20),
            "the bad-annotation pod marked failed");
        Assert.Equal("InvalidAnnotation", failed.Reason);
        Assert.Contains("traffic.sidecar.istio.io/includeInboundPorts: \"80,http\"", failed.Message, StringComparison.Ordinal);
        var failure = await Eventually.ReturnsAsync(
            async () => (await node.EventsAsync("mesh", "bad-annotation")).FirstOrDefault(e => e.Reason == "InitializationFailed"),
            TimeSpan.FromSeconds(10),
            "an InitializationFailed event");
        Assert.Equal("Warning", failure.Type);
        Assert.Contains("traffic.sidecar.istio.io/includeInboundPorts", failure.Message, StringComparison.Ordinal);

        foreach (var (ns, name) in expected)
        {
            var pod = await node.ReadPodAsync(ns, name);
            Assert.Equal("True", NodeUnderTest.Condition(pod)?.Status);
            var rules = await node.RulesAsync(ns, name);
            Assert.Equal(1, Occurrences(rules, CaptureJump));
            Assert.Contains((await node.EventsAsync(ns, name)), e => e.Reason == "Initialized");
        }

        Assert.Contains("-A ISTIO_OUTPUT -d 10.96.0.0/12", await node.RulesAsync("mixed", "mixed-0"), StringComparison.Ordinal);

        await Consistently.HoldsAsync(() => true, "a moment for any late decision", TimeSpan.FromMilliseconds(500));
        foreach (var (ns, name) in untouched.Append(("mesh", "bad-annotation")))
        {
            var pod = await node.ReadPodAsync(ns, name);
            Assert.False(NodeUnderTest.IsInitialized(pod), $"{ns}/{name} was marked initialized");
            if (name != "bad-annotation")
            {
                Assert.Null(NodeUnderTest.Condition(pod));
            }

            if (node.Sim.FindSandbox(ns, name) is { NetnsName: not null })
            {
                Assert.DoesNotContain("ISTIO", await node.RulesAsync(ns, name), StringComparison.Ordinal);
            }
        }

        using var http = new HttpClient();
        var metrics = await Eventually.ReturnsAsync(
            async () => await http.GetStringAsync(new Uri(node.Agent!.Health, "metrics")) is var text && text.Contains("ipnc_pods{state=\"Initialized\"} 16", StringComparison.Ordinal) ? text : null,
            TimeSpan.FromSeconds(10),
            "the metrics counting 16 initialized pods");
        Assert.Contains("ipnc_pods{state=\"Failed\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("ipnc_pod_failures_total{reason=\"InvalidAnnotation\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("ipnc_pod_programming_seconds_count 16", metrics, StringComparison.Ordinal);
        Assert.Contains("ipnc_cluster_members{status=\"up\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("process_working_set_bytes ", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("system_runtime_", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("prometheus_net_", metrics, StringComparison.Ordinal);

        var listing = await Ipnc.RunAsync(output, [node.Agent!.Endpoint, "pods"]);
        Assert.Equal(0, listing.ExitCode);
        Assert.Equal("17 pods (16 Initialized, 1 Failed)", listing.OutputLines[^1]);
        Assert.Contains(listing.OutputLines, l => l.StartsWith("mesh", StringComparison.Ordinal) && l.Contains("bad-annotation", StringComparison.Ordinal) && l.Contains("Failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_agent_killed_mid_burst_and_restarted_leaves_every_pod_initialized_once_with_its_rules_once()
    {
        await using var node = await NodeUnderTest.StartAsync(output);
        await node.CreateNamespaceAsync("burst", initialize: "true");
        var names = Enumerable.Range(0, 40).Select(i => $"p{i:00}").ToList();
        var first = node.Agent!;
        foreach (var name in names)
        {
            await node.CreatePodAsync("burst", name);
        }

        await Eventually.HoldsAsync(
            async () => (await node.Client.CoreV1.ListNamespacedPodAsync("burst")).Items.Count(NodeUnderTest.IsInitialized) >= 5,
            Burst,
            "a few pods initialized by the first agent");
        first.Process.KillHard();
        Assert.True(await first.Process.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        var second = await node.StartAgentAsync();

        await node.AwaitInitializedAsync("burst", names, Burst);
        await Eventually.HoldsAsync(
            () => second.Process.Lines.Count(l => l.Contains("-> Initialized", StringComparison.Ordinal)) == names.Count,
            Burst,
            "the restarted agent taking every pod to Initialized (verifying those done before the kill)");

        var log = first.Process.Lines.Concat(second.Process.Lines).ToList();
        foreach (var name in names)
        {
            var rules = await node.RulesAsync("burst", name);
            Assert.Equal(1, Occurrences(rules, CaptureJump));
            var applied = log.Count(l => l.Contains($"Pod burst/{name} (", StringComparison.Ordinal) && l.Contains("rules applied", StringComparison.Ordinal));
            Assert.True(applied <= 1, $"burst/{name} was programmed {applied} times");
            Assert.DoesNotContain(log, l => l.Contains($"Pod burst/{name} (", StringComparison.Ordinal) && l.Contains("repaired", StringComparison.Ordinal));
        }

        var reconciled = second.Process.Lines.Count(l => l.Contains("rules already in place", StringComparison.Ordinal));
        output.WriteLine($"the restarted agent found {reconciled} pods already programmed");
        Assert.True(reconciled >= 5, "the restarted agent should have verified, not re-programmed, the pods done before the kill");
    }

    [Fact]
    public async Task API_faults_during_a_burst_lose_no_pod()
    {
        await using var node = await NodeUnderTest.StartAsync(output);
        await node.CreateNamespaceAsync("chaos", initialize: "true");
        var names = Enumerable.Range(0, 20).Select(i => $"c{i:00}").ToList();
        // The faults are for the agent's open watches: a slow start would let the burst and its faults pass before it has any.
        await node.Agent!.Process.WaitForLineAsync(l => l.Contains("Pod watch synced", StringComparison.Ordinal), Burst, "the agent's pod watch synced");

        for (var i = 0; i < names.Count; i++)
        {
            await node.CreatePodAsync("chaos", names[i]);
            switch (i % 5)
            {
                case 1:
                    node.Sim.Faults.ExpireWatches();
                    break;
                case 2:
                    node.Sim.Faults.CutWatchStreams();
                    break;
                case 3:
                    node.Sim.Faults.FailNextRequests(3, 500);
                    break;
                case 4:
                    node.Sim.Faults.FailNextRequests(2, 429);
                    break;
            }
        }

        await node.AwaitInitializedAsync("chaos", names, Burst);
        foreach (var name in names)
        {
            Assert.Equal(1, Occurrences(await node.RulesAsync("chaos", name), CaptureJump));
        }

        // The faults did reach the agent: its log says so, possibly only after the last pod was done.
        await Eventually.HoldsAsync(
            () => node.Agent!.Process.Lines.Any(l => l.Contains("watch interrupted", StringComparison.Ordinal)),
            Burst,
            "the agent logging an interrupted watch");
    }

    [Fact]
    public async Task A_pod_that_opts_out_while_running_loses_its_rules_and_marks_and_a_changed_annotation_reprograms_another()
    {
        await using var node = await NodeUnderTest.StartAsync(output);
        await node.CreateNamespaceAsync("shop", initialize: "true");
        await node.CreatePodAsync("shop", "leaving");
        await node.CreatePodAsync("shop", "changing");
        await node.AwaitInitializedAsync("shop", ["leaving", "changing"], Burst);

        await node.Client.CoreV1.PatchNamespacedPodAsync(
            new V1Patch($"{{\"metadata\":{{\"annotations\":{{\"{PodMarkers.InitializeAnnotation}\":\"false\"}}}}}}", V1Patch.PatchType.MergePatch), "leaving", "shop");
        await node.Client.CoreV1.PatchNamespacedPodAsync(
            new V1Patch("{\"metadata\":{\"annotations\":{\"traffic.sidecar.istio.io/excludeOutboundPorts\":\"5432\"}}}", V1Patch.PatchType.MergePatch), "changing", "shop");

        var left = await Eventually.ReturnsAsync(
            async () => await node.ReadPodAsync("shop", "leaving") is var pod && !NodeUnderTest.IsInitialized(pod) && NodeUnderTest.Condition(pod)?.Reason == "OptedOut" ? pod : null,
            TimeSpan.FromSeconds(20),
            "the opted-out pod unmarked");
        Assert.Equal("False", NodeUnderTest.Condition(left)?.Status);
        Assert.DoesNotContain("ISTIO", await node.RulesAsync("shop", "leaving"), StringComparison.Ordinal);

        await Eventually.HoldsAsync(
            async () => (await node.RulesAsync("shop", "changing")).Contains("--dport 5432", StringComparison.Ordinal),
            TimeSpan.FromSeconds(20),
            "the changed pod reprogrammed with its new excluded port");
        var rules = await node.RulesAsync("shop", "changing");
        Assert.Equal(1, Occurrences(rules, CaptureJump));
        Assert.DoesNotContain("--dport 15020 -m comment --comment \"ipnc: outbound port 15020 excluded\"", rules, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ipnc_wait_watching_its_pod_through_the_API_returns_when_the_agent_has_initialized_it()
    {
        await using var node = await NodeUnderTest.StartAsync(output, startAgent: false);
        await node.CreateNamespaceAsync("waiting", initialize: "true");
        await node.CreatePodAsync("waiting", "app");
        await using var wait = ChildProcess.Start(
            Binaries.Ipnc,
            ["wait", "--pod", "app", "--namespace", "waiting", "--kubeconfig", node.Sim.KubeconfigPath, "--timeout", "60s"],
            output);
        await wait.WaitForLineAsync(l => l.Contains("waiting for", StringComparison.Ordinal), TimeSpan.FromSeconds(20), "the waiting line");
        await Consistently.HoldsAsync(() => !wait.HasExited, "wait holds while no agent runs");

        await node.StartAgentAsync();

        Assert.True(await wait.WaitForExitAsync(TimeSpan.FromSeconds(60)), "wait did not see the pod initialized");
        Assert.Equal(0, wait.ExitCode);
    }

    private static int Occurrences(string text, string line) => text.Split('\n').Count(l => l.TrimEnd() == line);
}
