using System.Collections.Immutable;
using Akka.Actor;
using IstioPodNetwork.Actors.Commands;
using IstioPodNetwork.Actors.Pods;

namespace IstioPodNetwork.Actors.Tests.Commands;

public sealed class CommandParserSpecs
{
    private static readonly CommandParameter<int> Depth = CommandParameters.Option("-d|--depth", "N", "Depth.", ValueParsers.Count(32), 4);
    private static readonly CommandParameter<PodState?> State = CommandParameters.Option("--state", "STATE", "State.", ValueParsers.OneOf<PodState>(), null);
    private static readonly CommandParameter<string?> Node = CommandParameters.Option("--node", "NODE", "Node.", ValueParsers.Word, null);
    private static readonly CommandParameter<PodName> Pod = CommandParameters.Argument("NS/NAME", "Pod.", ValueParsers.Pod);
    private static readonly CommandParameter<Address> Member = CommandParameters.Argument("ADDRESS", "Member.", ValueParsers.MemberAddress);
    private static readonly CommandParameter<ImmutableArray<string>> Topic = CommandParameters.Rest("COMMAND", "Topic.");

    private static readonly ImmutableArray<CommandDefinition> Commands =
    [
        Command("actor hierarchy", Depth),
        Command("pods", Node, State),
        Command("pod describe", Pod),
        Command("pod retry", Pod),
        Command("cluster down", Member),
        Command("help", Topic),
    ];

    [Fact]
    public void Options_take_their_defaults_when_absent_and_their_value_in_either_spelling()
    {
        Assert.Equal(4, Parse("actor hierarchy").Get(Depth));
        Assert.Equal(7, Parse("actor hierarchy -d 7").Get(Depth));
        Assert.Equal(9, Parse("actor hierarchy --depth=9").Get(Depth));

        var pods = Parse("pods --state failed --node node-a");
        Assert.Equal(PodState.Failed, pods.Get(State));
        Assert.Equal("node-a", pods.Get(Node));
        Assert.Null(Parse("pods").Get(State));
    }

    [Fact]
    public void Positional_arguments_are_parsed_into_their_types()
    {
        Assert.Equal(new PodName("apps", "web-0"), Parse("pod describe apps/web-0").Get(Pod));
        Assert.Equal(Address.Parse("akka.tcp://ipnc@10.0.0.5:4053"), Parse("cluster down akka.tcp://ipnc@10.0.0.5:4053").Get(Member));
        Assert.Equal(["cluster", "show"], Parse("help cluster show").Get(Topic).AsEnumerable());
        Assert.Empty(Parse("help").Get(Topic));
    }

    [Fact]
    public void The_longest_command_whose_words_begin_the_line_is_chosen()
    {
        Assert.Equal("pod retry", CommandParser.Parse(Commands, Words("pod retry apps/web")).Command.Name);
        Assert.Equal("pods", CommandParser.Parse(Commands, Words("pods")).Command.Name);
    }

    [Theory]
    [InlineData("actor hierarchy -d 0", "invalid value '0' for --depth: expected a whole number from 1 to 32")]
    [InlineData("actor hierarchy -d many", "invalid value 'many' for --depth: expected a whole number from 1 to 32")]
    [InlineData("actor hierarchy -d", "option -d needs a value (N)")]
    [InlineData("actor hierarchy -d 1 --depth 2", "option --depth is given more than once")]
    [InlineData("actor hierarchy --verbose", "unknown option '--verbose' for 'actor hierarchy' (usage: actor hierarchy [-d N])")]
    [InlineData("actor hierarchy now", "unexpected argument 'now' for 'actor hierarchy' (usage: actor hierarchy [-d N])")]
    [InlineData("pods --state sleeping", "invalid value 'sleeping' for --state: expected one of Pending, LocatingNetns, Programming, Verifying, Annotating, Initialized, Removing, Failed")]
    [InlineData("pods --state 3", "invalid value '3' for --state: expected one of Pending, LocatingNetns, Programming, Verifying, Annotating, Initialized, Removing, Failed")]
    [InlineData("pod describe", "'pod describe' needs NS/NAME (usage: pod describe NS/NAME)")]
    [InlineData("pod describe web", "invalid value 'web' for NS/NAME: expected NAMESPACE/NAME, such as default/web-0")]
    [InlineData("pod describe apps/web/0", "invalid value 'apps/web/0' for NS/NAME: expected NAMESPACE/NAME, such as default/web-0")]
    [InlineData("cluster down 10.0.0.5:4053", "invalid value '10.0.0.5:4053' for ADDRESS: expected a member's address such as akka.tcp://ipnc@10.0.0.5:4053")]
    [InlineData("cluster down akka.tcp://ipnc@10.0.0.5", "invalid value 'akka.tcp://ipnc@10.0.0.5' for ADDRESS: expected a member's address such as akka.tcp://ipnc@10.0.0.5:4053")]
    [InlineData("frobnicate", "unknown command 'frobnicate' (try 'ipnc help')")]
    [InlineData("pod", "'pod' needs a command: 'pod' takes describe, retry")]
    [InlineData("pod delete apps/web", "unknown command 'pod delete': 'pod' takes describe, retry")]
    [InlineData("", "no command given (try 'ipnc help')")]
    public void A_wrong_command_line_is_one_message_naming_the_input_and_what_was_expected(string line, string message)
    {
        var error = Assert.Throws<CommandUsageException>(() => CommandParser.Parse(Commands, Words(line)));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Usage_lines_show_arguments_and_options()
    {
        Assert.Equal("pods [--node NODE] [--state STATE]", Commands[1].Usage);
        Assert.Equal("pod describe NS/NAME", Commands[2].Usage);
        Assert.Equal("help [COMMAND...]", Commands[5].Usage);
    }

    private static CommandArguments Parse(string line) => CommandParser.Parse(Commands, Words(line)).Arguments;

    private static string[] Words(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static CommandDefinition Command(string name, params CommandParameter[] parameters) =>
        new(name, "Does " + name + ".", [.. parameters], _ => Task.CompletedTask);
}
