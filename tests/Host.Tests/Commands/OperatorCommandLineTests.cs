using IstioPodNetwork.Actors.Commands;
using IstioPodNetwork.Host.Commands;

namespace IstioPodNetwork.Host.Tests.Commands;

public sealed class OperatorCommandLineTests
{
    private static readonly string[] LocalVerbs = ["agent", "version", "rules", "wait"];

    [Theory]
    [InlineData("cluster show", true)]
    [InlineData("help", true)]
    [InlineData("10.1.2.3:9110 cluster show", true)]
    [InlineData("localhost:9110 pods", true)]
    [InlineData("[::1]:9110 pods", true)]
    [InlineData("-o json cluster show", true)]
    [InlineData("--endpoint=127.0.0.1:9200 cluster show", true)]
    [InlineData("agent --health-port 1", false)]
    [InlineData("version", false)]
    [InlineData("wait", false)]
    [InlineData("--help", false)]
    [InlineData("-h", false)]
    [InlineData("", false)]
    public void Words_no_local_verb_has_and_a_leading_endpoint_or_client_option_go_to_an_agent(string line, bool toAgent)
    {
        Assert.Equal(toAgent, OperatorCommandLine.IsOperatorCommand(Words(line), LocalVerbs));
    }

    [Fact]
    public void Without_an_endpoint_the_agents_command_port_on_loopback_is_used()
    {
        var line = OperatorCommandLine.Parse(Words("cluster show"), () => 9310);

        Assert.Equal(("127.0.0.1", 9310), (line.Endpoint.Host, line.Endpoint.Port));
        Assert.Equal(OutputFormat.Text, line.Output);
        Assert.Equal(["cluster", "show"], line.Args.AsEnumerable());
    }

    [Theory]
    [InlineData("10.1.2.3:9200 pods --state Failed -o json")]
    [InlineData("pods --endpoint 10.1.2.3:9200 --state Failed --output json")]
    [InlineData("--output=JSON --endpoint=10.1.2.3:9200 pods --state Failed")]
    public void The_endpoint_and_output_format_may_be_given_anywhere_and_the_rest_goes_to_the_agent(string text)
    {
        var line = OperatorCommandLine.Parse(Words(text), () => throw new InvalidOperationException("the default port is not needed"));

        Assert.Equal(("10.1.2.3", 9200), (line.Endpoint.Host, line.Endpoint.Port));
        Assert.Equal(OutputFormat.Json, line.Output);
        Assert.Equal(["pods", "--state", "Failed"], line.Args.AsEnumerable());
    }

    [Theory]
    [InlineData("pods --help", "help pods")]
    [InlineData("pod describe -h", "help pod describe")]
    [InlineData("pods --node x --help", "help pods")]
    [InlineData("--help", "help")]
    public void Help_asks_the_agent_to_describe_the_command(string text, string sent)
    {
        Assert.Equal(Words(sent), OperatorCommandLine.Parse(Words(text), () => 9110).Args.AsEnumerable());
    }

    [Theory]
    [InlineData("pods -o yaml", "invalid value 'yaml' for --output: expected text or json")]
    [InlineData("pods -o", "option -o needs a value")]
    [InlineData("--endpoint 10.1.2.3 pods", "invalid value '10.1.2.3' for --endpoint: expected HOST:PORT such as 127.0.0.1:9110")]
    [InlineData("--endpoint 10.1.2.3:0 pods", "invalid value '10.1.2.3:0' for --endpoint: expected HOST:PORT such as 127.0.0.1:9110")]
    [InlineData("10.1.2.3:9110 --endpoint 10.1.2.4:9110 pods", "the agent's endpoint is given twice (10.1.2.3:9110 and 10.1.2.4:9110)")]
    public void A_wrong_client_option_is_one_message_naming_it(string text, string message)
    {
        var error = Assert.Throws<CommandUsageException>(() => OperatorCommandLine.Parse(Words(text), () => 9110));

        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("127.0.0.1:9110", true)]
    [InlineData("ipnc-agent-x7k2p:9110", true)]
    [InlineData("[fd00:10::5]:9110", true)]
    [InlineData("fd00:10::5:9110", false)]
    [InlineData("127.0.0.1:65536", false)]
    [InlineData(":9110", false)]
    [InlineData("cluster", false)]
    [InlineData("bad host:9110", false)]
    public void An_endpoint_is_a_host_and_a_port(string text, bool valid)
    {
        Assert.Equal(valid, OperatorCommandLine.TryParseEndpoint(text, out _));
    }

    private static string[] Words(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
