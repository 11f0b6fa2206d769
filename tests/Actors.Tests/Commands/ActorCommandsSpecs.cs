using Akka;
using Akka.Actor;
using IstioPodNetwork.Actors.Commands;
using Xunit.Abstractions;

namespace IstioPodNetwork.Actors.Tests.Commands;

public sealed class ActorCommandsSpecs : Akka.TestKit.Xunit2.TestKit
{
    public ActorCommandsSpecs(ITestOutputHelper output)
        : base(SpecConfig.LoadTolerant, output: output)
    {
        CommandPalettes.Get(Sys).Register(ActorCommands.Palette);
    }

    [Fact]
    public async Task Actor_hierarchy_lists_every_actor_path_sorted_with_its_type_down_to_the_depth_asked()
    {
        var parent = Sys.ActorOf(Props.Create(() => new Parent(4)), "parent");
        await parent.Ask<Done>(Done.Instance);

        var deep = await RecordingOutput.RunAsync(Sys, "actor hierarchy -d 6");
        var paths = deep.Column("actors", "path");

        Assert.Contains("/user/parent/child-1/child-1/child-1", paths);
        Assert.Equal(paths.Order(StringComparer.Ordinal), paths);
        Assert.Equal("Parent", deep.Table("actors").Rows.Single(r => r.GetProperty("path").GetString() == "/user/parent").GetProperty("type").GetString());
        Assert.Contains("/system", paths);
    }

    [Fact]
    public async Task Actor_hierarchy_stops_at_four_levels_by_default_and_at_the_depth_asked()
    {
        var parent = Sys.ActorOf(Props.Create(() => new Parent(5)), "parent");
        await parent.Ask<Done>(Done.Instance);

        var byDefault = (await RecordingOutput.RunAsync(Sys, "actor hierarchy")).Column("actors", "path");
        var shallow = (await RecordingOutput.RunAsync(Sys, "actor hierarchy --depth 1")).Column("actors", "path");

        Assert.Equal(4, byDefault.Max(p => p!.Count(c => c == '/')));
        Assert.Contains("/user/parent/child-1/child-1", byDefault);
        Assert.Equal(["/system", "/user"], shallow);
    }

    /// <summary>A chain of <c>levels</c> actors below it; it answers once the whole chain exists.</summary>
    private sealed class Parent : ReceiveActor
    {
        public Parent(int levels)
        {
            var child = levels > 1 ? Context.ActorOf(Props.Create(() => new Parent(levels - 1)), "child-1") : null;
            ReceiveAsync<Done>(async done =>
            {
                if (child is not null)
                {
                    await child.Ask<Done>(done);
                }

                Sender.Tell(done);
            });
        }
    }
}
