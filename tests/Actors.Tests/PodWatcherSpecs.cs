using Akka.Actor;
using IstioPodNetwork.Actors.Pods;
using IstioPodNetwork.Actors.Tests.Fakes;
using IstioPodNetwork.Kube.Models;
using IstioPodNetwork.Kube.Watching;
using Xunit.Abstractions;

namespace IstioPodNetwork.Actors.Tests;

public sealed class PodWatcherSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(SpecConfig.LoadTolerant, output: output)
{
    private readonly FakeWatch<Pod> watch = new();

    [Fact]
    public async Task Watch_notifications_become_pod_messages_for_the_supervisor()
    {
        Sys.ActorOf(PodWatcher.Props(watch, TestActor));
        var web = new Pod { Metadata = new ObjectMeta { Name = "web", Namespace = "apps", Uid = "uid-web", ResourceVersion = "7" } };

        await watch.EmitAsync(
            new ObjectUpserted<Pod>(web),
            new WatchSynced<Pod>(1, "7"),
            new WatchInterrupted<Pod>("HTTP 500", TimeSpan.FromSeconds(1), Relisting: false),
            new ObjectRemoved<Pod>(web));

        var observed = await ExpectMsgAsync<PodObserved>();
        Assert.Equal("apps/web", observed.Pod.ToString());
        Assert.Equal(1, (await ExpectMsgAsync<PodsSynced>()).PodCount);
        Assert.Equal(observed.Pod.Ref, (await ExpectMsgAsync<PodRemoved>()).Pod);
        await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }
}
