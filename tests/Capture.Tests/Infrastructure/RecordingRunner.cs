using System.Collections.Concurrent;
using IstioPodNetwork.Capture.Processes;

namespace IstioPodNetwork.Capture.Tests.Infrastructure;

/// <summary>Runs processes for real, records each request, and fails on purpose those <paramref name="fail"/> picks.</summary>
public sealed class RecordingRunner(Func<ProcessRequest, bool>? fail = null) : IProcessRunner
{
    private readonly ProcessRunner inner = new();
    private readonly ConcurrentQueue<ProcessRequest> requests = new();

    public long Spawned => inner.Spawned;

    public IReadOnlyList<ProcessRequest> Requests => [.. requests];

    public IEnumerable<ProcessRequest> Restores => Requests.Where(r => Path.GetFileName(r.Argv[0]).Contains("-restore", StringComparison.Ordinal));

    public Task<ProcessResult> RunAsync(ProcessRequest request, CancellationToken cancellationToken)
    {
        requests.Enqueue(request);
        return fail?.Invoke(request) == true
            ? Task.FromResult(new ProcessResult(1, string.Empty, $"{Path.GetFileName(request.Argv[0])}: failing on purpose", TimeSpan.Zero))
            : inner.RunAsync(request, cancellationToken);
    }
}
