using IstioPodNetwork.Capture.Processes;

namespace IstioPodNetwork.Capture.Bench;

/// <summary>
/// The alternative way into a netns, measured against setns on a dedicated thread (what ProcessRunner does):
/// every command becomes <c>nsenter --net=PATH -- argv</c>, one more exec per command.
/// </summary>
internal sealed class NsenterRunner(IProcessRunner inner) : IProcessRunner
{
    public long Spawned => inner.Spawned;

    public Task<ProcessResult> RunAsync(ProcessRequest request, CancellationToken cancellationToken) =>
        request.NetworkNamespace is null
            ? inner.RunAsync(request, cancellationToken)
            : inner.RunAsync(new ProcessRequest(["nsenter", "--net=" + request.NetworkNamespace, "--", .. request.Argv], request.StandardInput), cancellationToken);
}
