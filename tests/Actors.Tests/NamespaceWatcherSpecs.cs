using Akka.Actor;
using IstioPodNetwork.Actors.Namespaces;
using IstioPodNetwork.Actors.Pods;
using IstioPodNetwork.Actors.Tests.Fakes;
using IstioPodNetwork.Kube;
using IstioPodNetwork.Kube.Models;
using IstioPodNetwork.Kube.Watching;
using Xunit.Abstractions;

namespace IstioPodNetwork.Actors.Tests;

public sealed class NamespaceWatcherSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(SpecConfig.LoadTolerant, output: output)
{
    private readonly FakeWatch<KubeNamespace> watch = new();

    [Fact]
    public async Task The_first_complete_list_is_told_once_with_exactly_the_annotated_namespaces()
    {
        Sys.ActorOf(NamespaceWatcher.Props(watch, TestActor));

        await watch.EmitAsync(
            Upserted(Namespace("mesh-a", "true")),
            Upserted(Namespace("mesh-b", "True")),
            Upserted(Namespace("plain")),
            Upserted(Namespace("opted-out", "false")),
            Upserted(Namespace("garbage", "yes please")),
            new WatchSynced<KubeNamespace>(5, "10"));

        var told = await ExpectMsgAsync<OptedInNamespacesChanged>();
        Assert.Equal(["mesh-a", "mesh-b"], told.Namespaces.Order());
        await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Annotating_unannotating_and_deleting_namespaces_are_told_as_changes_and_no_ops_are_not()
    {
        Sys.ActorOf(NamespaceWatcher.Props(watch, TestActor));
        await watch.EmitAsync(new WatchSynced<KubeNamespace>(0, "1"));
        Assert.Empty((await ExpectMsgAsync<OptedInNamespacesChanged>()).Namespaces);

        await watch.EmitAsync(Upserted(Namespace("shop", "true")));
        Assert.Equal(["shop"], (await ExpectMsgAsync<OptedInNamespacesChanged>()).Namespaces);

        await watch.EmitAsync(Upserted(Namespace("shop", "true", label: "changed")));
        await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));

        await watch.EmitAsync(Upserted(Namespace("shop", "false")));
        Assert.Empty((await ExpectMsgAsync<OptedInNamespacesChanged>()).Namespaces);

        await watch.EmitAsync(Upserted(Namespace("shop", "true")), new ObjectRemoved<KubeNamespace>(Namespace("shop", "true")));
        Assert.Equal(["shop"], (await ExpectMsgAsync<OptedInNamespacesChanged>()).Namespaces);
        Assert.Empty((await ExpectMsgAsync<OptedInNamespacesChanged>()).Namespaces);
    }

    [Fact]
    public async Task Stopping_the_actor_stops_its_watch()
    {
        var actor = Sys.ActorOf(NamespaceWatcher.Props(watch, TestActor));
        await watch.EmitAsync(new WatchSynced<KubeNamespace>(0, "1"));

        Sys.Stop(actor);

        await watch.Stopped.WaitAsync(TimeSpan.FromSeconds(5));
    }

    private static ObjectUpserted<KubeNamespace> Upserted(KubeNamespace ns) => new(ns);

    private static KubeNamespace Namespace(string name, string? initialize = null, string? label = null) => new()
    {
        Metadata = new ObjectMeta
        {
            Name = name,
            Uid = "uid-" + name,
            Annotations = initialize is null ? null : new Dictionary<string, string> { [PodMarkers.InitializeAnnotation] = initialize },
            Labels = label is null ? null : new Dictionary<string, string> { ["l"] = label },
        },
    };
}
