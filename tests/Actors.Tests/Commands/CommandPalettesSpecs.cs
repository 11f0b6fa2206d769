using IstioPodNetwork.Actors.Commands;
using Xunit.Abstractions;

namespace IstioPodNetwork.Actors.Tests.Commands;

public sealed class CommandPalettesSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(SpecConfig.LoadTolerant, output: output)
{
    [Fact]
    public async Task Help_lists_every_registered_command_with_its_usage()
    {
        var palettes = CommandPalettes.Get(Sys);
        palettes.Register(ActorCommands.Palette);
        palettes.Register(PodCommands.Palette);

        var run = await RecordingOutput.RunAsync(Sys, "help");

        Assert.Equal(
            ["help [COMMAND...]", "actor hierarchy [-d N]", "pods [--node NODE] [-n NS] [--state STATE]", "pod describe NS/NAME", "pod retry NS/NAME"],
            run.Column("commands", "command"));
        Assert.Equal("5 commands; 'ipnc help COMMAND' describes one, 'ipnc HOST:PORT COMMAND' asks another agent", run.Table("commands").Summary);
    }

    [Fact]
    public async Task Help_for_one_command_describes_its_parameters_and_defaults()
    {
        CommandPalettes.Get(Sys).Register(ActorCommands.Palette);

        var run = await RecordingOutput.RunAsync(Sys, "help actor hierarchy");

        Assert.Equal("actor hierarchy [-d N]", run.Item("command").GetProperty("command").GetString());
        Assert.Equal(["-d, --depth N"], run.Column("parameters", "parameter"));
        Assert.Equal(["4"], run.Column("parameters", "default"));
    }

    [Fact]
    public void A_command_that_clashes_with_a_registered_one_or_a_client_option_is_refused()
    {
        var palettes = CommandPalettes.Get(Sys);
        palettes.Register(ActorCommands.Palette);
        static Task Nothing(CommandContext _) => Task.CompletedTask;

        var clash = Assert.Throws<ArgumentException>(() => palettes.Register(new CommandPalette("more", [new("actor", "Clashes.", [], Nothing)])));
        var reserved = Assert.Throws<ArgumentException>(() => palettes.Register(new CommandPalette("more", [new("report", "Uses -o.", [CommandParameters.Option("-o|--out", "FILE", "Where.", ValueParsers.Word, null)], Nothing)])));

        Assert.StartsWith("command 'actor' of palette 'more' clashes with the registered command 'actor hierarchy'", clash.Message, StringComparison.Ordinal);
        Assert.StartsWith("command 'report' uses -o, an option of the ipnc client", reserved.Message, StringComparison.Ordinal);
        Assert.Equal(["help", "actor hierarchy"], palettes.Commands.Select(c => c.Name));
    }
}
