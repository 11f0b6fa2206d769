using System.CommandLine;
using System.Diagnostics;
using IstioPodNetwork.Host.Configuration;
using IstioPodNetwork.Kube;
using IstioPodNetwork.Kube.Models;
using IstioPodNetwork.Kube.Watching;

namespace IstioPodNetwork.Host.Cli;

/// <summary>
/// `ipnc wait`: run as an init container of a user pod, it holds the pod's
/// containers back until the agent has programmed and verified the pod's capture,
/// the start-up race the original project answered the same way. Needs no privileges.
/// </summary>
public static class WaitCommand
{
    public const string DefaultAnnotationsFile = "/etc/podinfo/pod_annotations";

    /// <summary>Exit code when the agent reported a failure that waiting will not cure (an invalid annotation).</summary>
    public const int InitializationFailed = 3;

    public static Command Create()
    {
        var file = new Option<string>("--annotations-file")
        {
            Description = $"Downward-API file of the pod's metadata.annotations to poll (default {DefaultAnnotationsFile} when it exists).",
        };
        var pod = new Option<string>("--pod") { Description = "Watch this pod through the API instead of a file. Environment: POD_NAME." };
        var ns = new Option<string>("--namespace") { Description = "Namespace of --pod. Environment: POD_NAMESPACE." };
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "Kubeconfig for --pod; in-cluster configuration when empty. Environment: KUBECONFIG." };
        var timeout = new Option<string>("--timeout") { Description = "Give up after this long (exit code 1).", DefaultValueFactory = _ => "300s" };
        var interval = new Option<string>("--interval") { Description = "How often to read the annotations file.", DefaultValueFactory = _ => "2s" };

        var command = new Command(
            "wait",
            $"Wait until the agent marks this pod {PodMarkers.StatusAnnotation}={PodMarkers.InitializedValue}. " +
            $"Exit codes: 0 initialized, 1 timed out, 2 usage error, {InitializationFailed} the agent reported a failure waiting will not cure.")
        {
            file, pod, ns, kubeconfig, timeout, interval,
        };

        command.SetAction(async (parse, cancellation) =>
        {
            var error = parse.InvocationConfiguration.Error;
            var limit = SettingParsers.Duration.Parse(parse.GetValue(timeout)!);
            var every = SettingParsers.Duration.Parse(parse.GetValue(interval)!);
            if (limit.Expected is not null || every.Expected is not null)
            {
                await error.WriteLineAsync($"ipnc: invalid {(limit.Expected is not null ? "--timeout" : "--interval")}: expected {limit.Expected ?? every.Expected}");
                return ExitCodes.Usage;
            }

            var podName = parse.GetValue(pod) ?? Environment.GetEnvironmentVariable("POD_NAME");
            var annotationsFile = parse.GetValue(file) ?? (string.IsNullOrEmpty(podName) && File.Exists(DefaultAnnotationsFile) ? DefaultAnnotationsFile : null);
            if (annotationsFile is null && string.IsNullOrEmpty(podName))
            {
                await error.WriteLineAsync($"ipnc: nothing to wait on: give --annotations-file (a downwardAPI file of metadata.annotations) or --pod/POD_NAME (see 'ipnc wait --help')");
                return ExitCodes.Usage;
            }

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            deadline.CancelAfter(limit.Value);
            var started = Stopwatch.StartNew();
            var outcome = annotationsFile is not null
                ? await PollFileAsync(annotationsFile, every.Value, error, deadline.Token)
                : await WatchPodAsync(
                    parse.GetValue(kubeconfig) ?? Environment.GetEnvironmentVariable("KUBECONFIG"),
                    parse.GetValue(ns) ?? Environment.GetEnvironmentVariable("POD_NAMESPACE") ?? "default",
                    podName!,
                    error,
                    deadline.Token);

            switch (outcome)
            {
                case WaitOutcome.Initialized:
                    await error.WriteLineAsync($"ipnc: pod initialized after {started.Elapsed.TotalSeconds:0.0} s");
                    return ExitCodes.Ok;
                case WaitOutcome.Failed failed:
                    await error.WriteLineAsync($"ipnc: the agent could not initialize this pod: {failed.Message}");
                    return InitializationFailed;
                default:
                    await error.WriteLineAsync($"ipnc: timed out after {limit.Value.TotalSeconds:0} s waiting for {PodMarkers.StatusAnnotation}={PodMarkers.InitializedValue}; is the istio-pod-network-controller agent running on this node, and does the pod or its namespace carry {PodMarkers.InitializeAnnotation}: \"true\"?");
                    return ExitCodes.Failed;
            }
        });
        return command;
    }

    private static async Task<WaitOutcome> PollFileAsync(string path, TimeSpan interval, TextWriter error, CancellationToken deadline)
    {
        await error.WriteLineAsync($"ipnc: waiting for {PodMarkers.StatusAnnotation}={PodMarkers.InitializedValue} in {path}");
        while (true)
        {
            try
            {
                var annotations = DownwardApi.ParseAnnotations(await File.ReadAllTextAsync(path, deadline));
                if (annotations.GetValueOrDefault(PodMarkers.StatusAnnotation) == PodMarkers.InitializedValue)
                {
                    return new WaitOutcome.Initialized();
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The kubelet replaces the file atomically through a symlink swap; a miss is retried.
            }
            catch (OperationCanceledException)
            {
                return new WaitOutcome.TimedOut();
            }

            try
            {
                await Task.Delay(interval, deadline);
            }
            catch (OperationCanceledException)
            {
                return new WaitOutcome.TimedOut();
            }
        }
    }

    private static async Task<WaitOutcome> WatchPodAsync(string? kubeconfig, string namespaceName, string podName, TextWriter error, CancellationToken deadline)
    {
        await error.WriteLineAsync($"ipnc: waiting for {PodMarkers.StatusAnnotation}={PodMarkers.InitializedValue} on pod {namespaceName}/{podName}");
        using var api = KubeClients.Create(kubeconfig);
        var result = new TaskCompletionSource<WaitOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(deadline);
        using var registration = deadline.Register(() => result.TrySetResult(new WaitOutcome.TimedOut()));
        var watch = new ResilientWatch<Pod>(WatchSources.Pod(api, namespaceName, podName));
        var running = watch.RunAsync(
            notification =>
            {
                if (notification is ObjectUpserted<Pod> { Resource: var current } && Judge(current) is { } outcome)
                {
                    result.TrySetResult(outcome);
                }
            },
            stop.Token);
        var outcome = await result.Task;
        await stop.CancelAsync();
        await running;
        return outcome;
    }

    private static WaitOutcome? Judge(Pod pod)
    {
        if (pod.Metadata.Annotations is { } annotations && annotations.TryGetValue(PodMarkers.StatusAnnotation, out var status) && status == PodMarkers.InitializedValue)
        {
            return new WaitOutcome.Initialized();
        }

        var condition = pod.Status?.Conditions?.FirstOrDefault(c => c.Type == PodMarkers.InitializedCondition);
        return condition is { Status: "False", Reason: "InvalidAnnotation" } ? new WaitOutcome.Failed(condition.Message ?? condition.Reason) : null;
    }

    private abstract record WaitOutcome
    {
        public sealed record Initialized : WaitOutcome;

        public sealed record TimedOut : WaitOutcome;

        public sealed record Failed(string Message) : WaitOutcome;
    }
}
