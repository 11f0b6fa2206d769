using System.Net;
using System.Threading.Channels;
using IstioPodNetwork.Kube.Models;
using IstioPodNetwork.Kube.Watching;

namespace IstioPodNetwork.Kube.Tests.Watching;

public sealed class ResilientWatchTests : IAsyncDisposable
{
    private static readonly ResilientWatchOptions FastRetries = new() { InitialBackoff = TimeSpan.FromMilliseconds(10), MaximumBackoff = TimeSpan.FromMilliseconds(40) };
    private readonly ScriptedSource api = new();
    private readonly Channel<WatchNotification<Pod>> told = Channel.CreateUnbounded<WatchNotification<Pod>>();
    private readonly CancellationTokenSource stop = new();
    private Task? running;

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        if (running is not null)
        {
            await running.WaitAsync(TimeSpan.FromSeconds(5));
        }

        stop.Dispose();
    }

    [Fact]
    public async Task The_initial_list_is_told_then_synced_then_the_watch_starts_from_its_resourceVersion()
    {
        api.NextList(ScriptedSource.Pod("a", 5), ScriptedSource.Pod("b", 6));

        Start();

        Assert.Equal("a", Upserted(await Next()));
        Assert.Equal("b", Upserted(await Next()));
        Assert.Equal(new WatchSynced<Pod>(2, "6"), await Next());
        await api.NextWatchAsync();
        Assert.Equal(["6"], api.WatchedFrom);
    }

    [Fact]
    public async Task Watch_events_are_told_once_per_version_and_deletions_once()
    {
        api.NextList();
        Start();
        await Next();
        var watch = await api.NextWatchAsync();

        watch.Send(WatchEventType.Added, ScriptedSource.Pod("a", 7));
        watch.Send(WatchEventType.Modified, ScriptedSource.Pod("a", 7));
        watch.Send(WatchEventType.Modified, ScriptedSource.Pod("a", 8));
        watch.Send(WatchEventType.Deleted, ScriptedSource.Pod("a", 9));
        watch.Send(WatchEventType.Deleted, ScriptedSource.Pod("a", 9));
        watch.Send(WatchEventType.Added, ScriptedSource.Pod("z", 10));

        Assert.Equal(("a", "7"), UpsertedVersion(await Next()));
        Assert.Equal(("a", "8"), UpsertedVersion(await Next()));
        Assert.Equal("a", Assert.IsType<ObjectRemoved<Pod>>(await Next()).Resource.Metadata.Name);
        Assert.Equal("z", Upserted(await Next()));
    }

    [Fact]
    public async Task A_410_relists_and_tells_only_what_changed_while_the_watch_was_gone()
    {
        api.NextList(ScriptedSource.Pod("kept", 1), ScriptedSource.Pod("changed", 2), ScriptedSource.Pod("deleted", 3));
        Start();
        await NextN(4);
        var watch = await api.NextWatchAsync();
        api.NextList(ScriptedSource.Pod("kept", 1), ScriptedSource.Pod("changed", 20), ScriptedSource.Pod("new", 21));

        watch.SendError(new KubeApiException(HttpStatusCode.Gone, "410 Expired: too old resource version"));

        Assert.True((await Next()) is WatchInterrupted<Pod> { Relisting: true });
        var afterRelist = await NextN(3);
        Assert.Contains(afterRelist, n => n is ObjectUpserted<Pod> { Resource.Metadata.Name: "changed" });
        Assert.Contains(afterRelist, n => n is ObjectUpserted<Pod> { Resource.Metadata.Name: "new" });
        Assert.Contains(afterRelist, n => n is ObjectRemoved<Pod> { Resource.Metadata.Name: "deleted" });
        Assert.Equal(new WatchSynced<Pod>(3, "21"), await Next());
        Assert.Equal(2, api.ListCalls);
    }

    [Fact]
    public async Task A_watch_the_server_ends_resumes_from_the_last_resourceVersion_seen_including_bookmarks()
    {
        api.NextList();
        Start();
        await Next();
        var first = await api.NextWatchAsync();

        first.Send(WatchEventType.Added, ScriptedSource.Pod("a", 7));
        first.Send(WatchEventType.Bookmark, ScriptedSource.Pod(string.Empty, 12));
        await Next();
        first.End();
        await api.NextWatchAsync();

        Assert.Equal(["1", "12"], api.WatchedFrom);
        Assert.Equal(1, api.ListCalls);
    }

    [Fact]
    public async Task A_quiet_watch_that_closes_with_no_line_is_a_normal_end_not_an_error()
    {
        api.NextList();
        Start();
        await Next();
        var first = await api.NextWatchAsync();

        first.Break(new HttpRequestException("Error while copying content to a stream.", new EndOfStreamException()));
        await api.NextWatchAsync();

        Assert.False(told.Reader.TryRead(out var extra), $"nothing is told for a quiet end, got {extra}");
    }

    [Fact]
    public async Task A_failing_API_is_retried_with_backoff_and_each_interruption_is_told()
    {
        api.NextListFails(HttpError(HttpStatusCode.InternalServerError));
        api.NextListFails(HttpError(HttpStatusCode.ServiceUnavailable));
        api.NextList(ScriptedSource.Pod("a", 3));

        Start();

        var first = Assert.IsType<WatchInterrupted<Pod>>(await Next());
        Assert.Contains("HTTP 500", first.Reason, StringComparison.Ordinal);
        Assert.True(first.Relisting);
        Assert.Contains("HTTP 503", Assert.IsType<WatchInterrupted<Pod>>(await Next()).Reason, StringComparison.Ordinal);
        Assert.Equal("a", Upserted(await Next()));
        Assert.IsType<WatchSynced<Pod>>(await Next());
    }

    [Fact]
    public async Task A_refusal_is_told_with_what_the_server_said_it_refused()
    {
        const string Refused = "pods is forbidden: User \"system:serviceaccount:istio-system:ipnc\" cannot list resource \"pods\" in API group \"\" at the cluster scope";
        api.NextListFails(new KubeApiException(HttpStatusCode.Forbidden, $"HTTP 403 Forbidden: {Refused}", "GET /api/v1/pods"));
        api.NextList(ScriptedSource.Pod("a", 3));

        Start();

        Assert.EndsWith($": HTTP 403 Forbidden: {Refused}", Assert.IsType<WatchInterrupted<Pod>>(await Next()).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broken_stream_rewatches_from_where_it_was_without_relisting()
    {
        api.NextList(ScriptedSource.Pod("a", 4));
        Start();
        await NextN(2);
        var first = await api.NextWatchAsync();
        first.Send(WatchEventType.Modified, ScriptedSource.Pod("a", 5));
        await Next();

        first.Break(new HttpRequestException("connection reset"));

        Assert.False(Assert.IsType<WatchInterrupted<Pod>>(await Next()).Relisting);
        await api.NextWatchAsync();
        Assert.Equal(["4", "5"], api.WatchedFrom);
        Assert.Equal(1, api.ListCalls);
    }

    [Fact]
    public async Task Cancelling_ends_the_run_without_an_exception()
    {
        api.NextList();
        Start();
        await Next();
        await api.NextWatchAsync();

        await stop.CancelAsync();

        await running!.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(running.IsCompletedSuccessfully);
    }

    private void Start() =>
        running = new ResilientWatch<Pod>(api, FastRetries).RunAsync(n => told.Writer.TryWrite(n), stop.Token);

    private async Task<WatchNotification<Pod>> Next() =>
        await told.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));

    private async Task<List<WatchNotification<Pod>>> NextN(int count)
    {
        var list = new List<WatchNotification<Pod>>();
        for (var i = 0; i < count; i++)
        {
            list.Add(await Next());
        }

        return list;
    }

    private static string Upserted(WatchNotification<Pod> notification) =>
        Assert.IsType<ObjectUpserted<Pod>>(notification).Resource.Metadata.Name!;

    private static (string, string) UpsertedVersion(WatchNotification<Pod> notification)
    {
        var pod = Assert.IsType<ObjectUpserted<Pod>>(notification).Resource;
        return (pod.Metadata.Name!, pod.Metadata.ResourceVersion!);
    }

    private static KubeApiException HttpError(HttpStatusCode status) => new(status, $"HTTP {(int)status} {status}", "GET /api/v1/pods");
}
