using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using IstioPodNetwork.Actors.Pods;
using IstioPodNetwork.Capture.Netns;
using IstioPodNetwork.Capture.Programming;
using IstioPodNetwork.Capture.Rules;
using IstioPodNetwork.Capture.Spec;

namespace IstioPodNetwork.Actors.Ports;

/// <summary>The real <see cref="IPodCapture"/>: src/Capture's parser, rule builder, netns finder and programmer.</summary>
public sealed class NodeCapture(CaptureDefaults defaults, INetnsFinder finder, ICaptureProgrammer programmer) : IPodCapture
{
    private const int MaxSharedPlans = 64;

    /// <summary>
    /// Plans by fingerprint, so that pods asking for the same rules (most pods of a node) share one plan instead of
    /// each keeping its own rules and their text for as long as it lives (~4 KB a pod). Bounded: when a node's pods
    /// ask for more distinct rule sets than this, it starts over; plans in use stay with their pods.
    /// </summary>
    private readonly ConcurrentDictionary<string, CapturePlan> sharedPlans = new(StringComparer.Ordinal);

    public CapturePlanning Plan(PodSnapshot pod) => CaptureSpecParser.Parse(pod.CaptureInput, defaults) switch
    {
        CaptureParseResult.Accepted accepted => new CapturePlanning.Planned(Shared(RuleSetPlan.Of(RuleSetBuilder.Build(accepted.Spec)))),
        CaptureParseResult.Rejected rejected => new CapturePlanning.Invalid([.. rejected.Errors.Select(e => e.ToString())]),
        _ => throw new InvalidOperationException("unknown parse result"),
    };

    public Task<NetnsLookup> LocateAsync(PodSnapshot pod, CancellationToken cancellation) =>
        finder.FindAsync(pod.Uid, pod.PodIps, cancellation);

    public async Task<CaptureStep> ApplyAsync(NetnsLookup.Found netns, CapturePlan plan, CancellationToken cancellation) =>
        await programmer.ApplyAsync(netns.NetnsPath, Rules(plan), cancellation) switch
        {
            ApplyOutcome.Unchanged unchanged => CaptureStep.Success($"rules already in place ({unchanged.Backend})"),
            ApplyOutcome.Applied applied => CaptureStep.Success($"rules applied ({applied.Backend})"),
            ApplyOutcome.Repaired repaired => CaptureStep.Success($"drifted rules repaired ({repaired.Backend}): {string.Join("; ", repaired.Drift)}"),
            ApplyOutcome.Failed failed => CaptureStep.Failure(failed.Reason),
            _ => throw new InvalidOperationException("unknown apply outcome"),
        };

    public async Task<CaptureStep> VerifyAsync(NetnsLookup.Found netns, CapturePlan plan, CancellationToken cancellation) =>
        await programmer.VerifyAsync(netns.NetnsPath, Rules(plan), cancellation) switch
        {
            VerifyResult.Report report => new CaptureStep(report.Clean, report.ToString()),
            VerifyResult.Failed failed => CaptureStep.Failure(failed.Reason),
            _ => throw new InvalidOperationException("unknown verify result"),
        };

    public async Task<CaptureStep> RemoveAsync(NetnsLookup.Found netns, CancellationToken cancellation) =>
        await programmer.RemoveAsync(netns.NetnsPath, cancellation) switch
        {
            RemoveOutcome.Removed removed => CaptureStep.Success($"removed {removed.Rules.Length} rules"),
            RemoveOutcome.NothingToRemove => CaptureStep.Success("no rules of ours to remove"),
            RemoveOutcome.Failed failed => CaptureStep.Failure(failed.Reason),
            _ => throw new InvalidOperationException("unknown remove outcome"),
        };

    private static RuleSet Rules(CapturePlan plan) => ((RuleSetPlan)plan).Rules;

    private CapturePlan Shared(CapturePlan plan)
    {
        if (sharedPlans.TryGetValue(plan.Fingerprint, out var shared))
        {
            return shared;
        }

        if (sharedPlans.Count >= MaxSharedPlans)
        {
            sharedPlans.Clear();
        }

        return sharedPlans.GetOrAdd(plan.Fingerprint, plan);
    }

    /// <summary>A pod's rule set; its fingerprint is a hash of the exact restore text, so equal rules compare equal.</summary>
    private sealed record RuleSetPlan : CapturePlan
    {
        private RuleSetPlan(RuleSet rules, string text)
            : base(Hash(text), text) => Rules = rules;

        public RuleSet Rules { get; }

        public static RuleSetPlan Of(RuleSet rules) => new(rules, rules.ToRestoreText());

        private static string Hash(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }
}
