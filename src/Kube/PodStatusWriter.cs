using System.Globalization;
using System.Net;
using IstioPodNetwork.Kube.Models;

namespace IstioPodNetwork.Kube;

/// <summary>How a write about a pod ended.</summary>
public enum PodWriteOutcome
{
    Written,

    /// <summary>The pod no longer exists (or was replaced by another of the same name): nothing to mark.</summary>
    PodGone,
}

/// <summary>
/// Marks pods: the status annotation (merge patch), the readiness-gate condition
/// (strategic merge on pods/status, keyed by condition type so other conditions
/// stay), and Events that `kubectl describe pod` shows. Transient API errors are
/// retried with backoff; a 409 re-reads the pod and tries again.
/// </summary>
public sealed class PodStatusWriter(KubeApi api, string nodeName, TimeProvider? time = null) : IPodStatusWriter
{
    private const int Attempts = 5;
    private readonly TimeProvider time = time ?? TimeProvider.System;

    public Task<PodWriteOutcome> MarkInitializedAsync(PodRef pod, string message, CancellationToken cancellation) =>
        MarkAsync(pod, PodMarkers.InitializedValue, new Condition("True", "Initialized", message), EventType.Normal, "Initialized", cancellation);

    public Task<PodWriteOutcome> MarkFailedAsync(PodRef pod, string reason, string message, CancellationToken cancellation) =>
        MarkAsync(pod, null, new Condition("False", reason, message), EventType.Warning, "InitializationFailed", cancellation);

    /// <summary>For a pod that opted out: our marks go, a False condition says why.</summary>
    public Task<PodWriteOutcome> ClearAsync(PodRef pod, string message, CancellationToken cancellation) =>
        MarkAsync(pod, null, new Condition("False", "OptedOut", message), EventType.Normal, "CaptureRemoved", cancellation);

    /// <summary>
    /// The annotation (on the pod) and the condition (on pods/status) are written at once, as neither depends on
    /// the other: the mark is there one API round trip sooner. The Event follows once both are written.
    /// </summary>
    private async Task<PodWriteOutcome> MarkAsync(
        PodRef pod, string? annotation, Condition condition, string eventType, string eventReason, CancellationToken cancellation)
    {
        var outcomes = await Task.WhenAll(
            SetConditionAsync(pod, condition, cancellation),
            SetStatusAnnotationAsync(pod, annotation, cancellation));
        if (outcomes.Contains(PodWriteOutcome.PodGone))
        {
            return PodWriteOutcome.PodGone;
        }

        await RecordEventAsync(pod, eventType, eventReason, condition.Message, cancellation);
        return PodWriteOutcome.Written;
    }

    private Task<PodWriteOutcome> SetStatusAnnotationAsync(PodRef pod, string? value, CancellationToken cancellation)
    {
        var patch = AnnotationsPatch.Of(PodMarkers.StatusAnnotation, value);
        return WithRetriesAsync(
            pod,
            ct => api.WriteAsync(HttpMethod.Patch, PodPath(pod), KubeApi.MergePatch, patch, KubeJson.Default.AnnotationsPatch, ct),
            cancellation);
    }

    private Task<PodWriteOutcome> SetConditionAsync(PodRef pod, Condition written, CancellationToken cancellation)
    {
        var patch = ConditionPatch.Of(new ConditionPatch.PatchedCondition(
            PodMarkers.InitializedCondition,
            written.Status,
            written.Reason,
            written.Message,
            time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)));
        return WithRetriesAsync(
            pod,
            ct => api.WriteAsync(HttpMethod.Patch, PodPath(pod) + "/status", KubeApi.StrategicMergePatch, patch, KubeJson.Default.ConditionPatch, ct),
            cancellation);
    }

    private async Task RecordEventAsync(PodRef pod, string type, string reason, string message, CancellationToken cancellation)
    {
        // The API keeps whole seconds.
        var now = DateTime.UnixEpoch.AddSeconds(time.GetUtcNow().ToUnixTimeSeconds());
        var record = new KubeEvent
        {
            Metadata = new ObjectMeta { Name = $"{pod.Name}.{Random.Shared.NextInt64():x16}", Namespace = pod.Namespace },
            InvolvedObject = new ObjectReference { Kind = "Pod", ApiVersion = "v1", Namespace = pod.Namespace, Name = pod.Name, Uid = pod.Uid },
            Reason = reason,
            Message = message,
            Type = type,
            Source = new EventSource { Component = PodMarkers.Component, Host = nodeName },
            ReportingComponent = PodMarkers.Component,
            ReportingInstance = nodeName,
            FirstTimestamp = now,
            LastTimestamp = now,
            Count = 1,
        };

        // An Event is a courtesy to whoever runs `kubectl describe`: losing one must not fail the pod.
        await WithRetriesAsync(
            pod,
            ct => api.WriteAsync(HttpMethod.Post, $"/api/v1/namespaces/{Uri.EscapeDataString(pod.Namespace)}/events", "application/json", record, KubeJson.Default.KubeEvent, ct),
            cancellation,
            rereadOnConflict: false);
    }

    private static string PodPath(PodRef pod) => $"/api/v1/namespaces/{Uri.EscapeDataString(pod.Namespace)}/pods/{Uri.EscapeDataString(pod.Name)}";

    private async Task<PodWriteOutcome> WithRetriesAsync(
        PodRef pod, Func<CancellationToken, Task> write, CancellationToken cancellation, bool rereadOnConflict = true)
    {
        var backoff = new ExponentialBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2));
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await write(cancellation);
                return PodWriteOutcome.Written;
            }
            catch (KubeApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                return PodWriteOutcome.PodGone;
            }
            catch (KubeApiException e) when (e.StatusCode == HttpStatusCode.Conflict && rereadOnConflict && attempt < Attempts)
            {
                if (!await StillTheSamePodAsync(pod, cancellation))
                {
                    return PodWriteOutcome.PodGone;
                }
            }
            catch (KubeApiException e) when (IsTransient(e.StatusCode) && attempt < Attempts)
            {
                await Task.Delay(backoff.Next(), time, cancellation);
            }
            catch (HttpRequestException) when (attempt < Attempts)
            {
                await Task.Delay(backoff.Next(), time, cancellation);
            }
        }
    }

    private async Task<bool> StillTheSamePodAsync(PodRef pod, CancellationToken cancellation)
    {
        try
        {
            var current = await api.GetAsync(PodPath(pod), KubeJson.Default.Pod, cancellation);
            return current.Metadata.Uid == pod.Uid;
        }
        catch (KubeApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway
            or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    private sealed record Condition(string Status, string Reason, string Message);

    private static class EventType
    {
        public const string Normal = "Normal";
        public const string Warning = "Warning";
    }
}
