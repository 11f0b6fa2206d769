using System.Collections.Concurrent;
using System.Collections.Immutable;
using IstioPodNetwork.Actors.Pods;
using IstioPodNetwork.Actors.Ports;
using IstioPodNetwork.Capture.Netns;

namespace IstioPodNetwork.Actors.Tests.Fakes;

/// <summary>
/// Capture as a spec wants it: rules come from the pod's <c>test/rules</c>
/// annotation, <c>test/invalid</c> makes planning fail, and each step answers
/// what the spec queued (success by default). Every call is recorded.
/// </summary>
public sealed class FakeCapture : IPodCapture
{
    public const string RulesAnnotation = "test/rules";
    public const string InvalidAnnotation = "test/invalid";

    private readonly ConcurrentDictionary<string, ConcurrentQueue<Func<Task<NetnsLookup>>>> lookups = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Func<Task<CaptureStep>>>> steps = new();

    public ConcurrentQueue<string> Calls { get; } = new();

    /// <summary>How many calls of a kind ("apply") or of a kind for one pod ("apply web").</summary>
    public int Count(string call) => Calls.Count(c => c == call || c.StartsWith(call + " ", StringComparison.Ordinal));

    public int Count(string call, string podName) => Calls.Count(c => c == $"{call} {podName}");

    public void NextLookup(string podName, Func<Task<NetnsLookup>> answer) =>
        lookups.GetOrAdd(podName, _ => new()).Enqueue(answer);

    public void NextStep(string step, string podName, Func<Task<CaptureStep>> answer) =>
        steps.GetOrAdd($"{step} {podName}", _ => new()).Enqueue(answer);

    public CapturePlanning Plan(PodSnapshot pod)
    {
        if (pod.Annotations.TryGetValue(InvalidAnnotation, out var problem))
        {
            return new CapturePlanning.Invalid([$"annotation {InvalidAnnotation}: \"{problem}\" is not valid"]);
        }

        var rules = pod.Annotations.GetValueOrDefault(RulesAnnotation, "default");
        return new CapturePlanning.Planned(new FakePlan(pod.Ref.Name, rules));
    }

    public Task<NetnsLookup> LocateAsync(PodSnapshot pod, CancellationToken cancellation)
    {
        Calls.Enqueue($"locate {pod.Ref.Name}");
        return lookups.TryGetValue(pod.Ref.Name, out var queue) && queue.TryDequeue(out var answer)
            ? answer()
            : Task.FromResult<NetnsLookup>(new NetnsLookup.Found($"/proc/1/ns/net#{pod.Ref.Name}", 1));
    }

    public Task<CaptureStep> ApplyAsync(NetnsLookup.Found netns, CapturePlan plan, CancellationToken cancellation) => Step("apply", plan);

    public Task<CaptureStep> VerifyAsync(NetnsLookup.Found netns, CapturePlan plan, CancellationToken cancellation) => Step("verify", plan);

    public Task<CaptureStep> RemoveAsync(NetnsLookup.Found netns, CancellationToken cancellation)
    {
        var pod = netns.NetnsPath.Split('#')[1];
        Calls.Enqueue($"remove {pod}");
        return Answer($"remove {pod}");
    }

    private Task<CaptureStep> Step(string step, CapturePlan plan)
    {
        var pod = ((FakePlan)plan).PodName;
        Calls.Enqueue($"{step} {pod}");
        return Answer($"{step} {pod}");
    }

    private Task<CaptureStep> Answer(string key) =>
        steps.TryGetValue(key, out var queue) && queue.TryDequeue(out var answer)
            ? answer()
            : Task.FromResult(CaptureStep.Success("ok"));

    public sealed record FakePlan(string PodName, string Rules) : CapturePlan(Rules, $"rules: {Rules}");
}
