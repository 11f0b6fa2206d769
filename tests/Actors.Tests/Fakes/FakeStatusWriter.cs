using System.Collections.Concurrent;
using IstioPodNetwork.Kube;

namespace IstioPodNetwork.Actors.Tests.Fakes;

/// <summary>Records the marks a pod actor writes; a spec can make the next write of a pod fail or find the pod gone.</summary>
public sealed class FakeStatusWriter : IPodStatusWriter
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Func<Task<PodWriteOutcome>>>> answers = new();

    public ConcurrentQueue<string> Writes { get; } = new();

    public int Count(string write, string podName) => Writes.Count(w => w.StartsWith($"{write} {podName}", StringComparison.Ordinal));

    public void NextWrite(string podName, Func<Task<PodWriteOutcome>> answer) =>
        answers.GetOrAdd(podName, _ => new()).Enqueue(answer);

    public Task<PodWriteOutcome> MarkInitializedAsync(PodRef pod, string message, CancellationToken cancellation) =>
        Record($"initialized {pod.Name}", pod);

    public Task<PodWriteOutcome> MarkFailedAsync(PodRef pod, string reason, string message, CancellationToken cancellation) =>
        Record($"failed {pod.Name} {reason}: {message}", pod);

    public Task<PodWriteOutcome> ClearAsync(PodRef pod, string message, CancellationToken cancellation) =>
        Record($"cleared {pod.Name}", pod);

    private Task<PodWriteOutcome> Record(string write, PodRef pod)
    {
        Writes.Enqueue(write);
        return answers.TryGetValue(pod.Name, out var queue) && queue.TryDequeue(out var answer)
            ? answer()
            : Task.FromResult(PodWriteOutcome.Written);
    }
}
