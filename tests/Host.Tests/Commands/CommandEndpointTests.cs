using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using IstioPodNetwork.Actors.Commands;
using IstioPodNetwork.Host.Cli;
using IstioPodNetwork.Host.Commands;
using IstioPodNetwork.Testing;

namespace IstioPodNetwork.Host.Tests.Commands;

/// <summary>The endpoint and the client over a real loopback connection, with a palette made for the test.</summary>
public sealed class CommandEndpointTests : IAsyncLifetime
{
    private static readonly CommandParameter<string?> Name = CommandParameters.Argument("NAME", "Who to greet.", ValueParsers.Word);

    private readonly ActorSystem system = ActorSystem.Create("endpoint-tests");
    private readonly TaskCompletionSource streamCancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CommandEndpoint endpoint = null!;

    public Task InitializeAsync()
    {
        var palettes = CommandPalettes.Get(system);
        palettes.Register(new CommandPalette("test",
        [
            new("greet", "Greets.", [Name], async context => await context.WriteAsync(TableRecord.Of("greetings", [new Greeting(context.Get(Name)!, "hello")], "1 greeting"))),
            new("fail", "Fails.", [], _ => throw new CommandFailedException("the pod is not on this node")),
            new("crash", "Crashes.", [], _ => throw new InvalidOperationException("boom")),
            new("stream", "Streams until the client hangs up.", [], async context =>
            {
                await context.WriteAsync(new NoticeRecord("streaming; Ctrl-C to stop"));
                await context.WriteAsync(EventRecord.Of(new Greeting("tick", "1")));
                try
                {
                    await Task.Delay(Timeout.Infinite, context.Cancellation);
                }
                catch (OperationCanceledException)
                {
                    streamCancelled.TrySetResult();
                    throw;
                }
            }),
        ]));
        endpoint = CommandEndpoint.Start(system, palettes, 0);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await endpoint.DisposeAsync();
        await system.Terminate();
    }

    [Fact]
    public async Task A_command_prints_its_records_and_exits_0()
    {
        var (exitCode, output, error) = await RunAsync("greet", "Ann");

        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.Equal("NAME  WORD\nAnn   hello\n1 greeting\n", output);
        Assert.Empty(error);
    }

    [Fact]
    public async Task Json_output_is_one_document_with_the_rows()
    {
        var (exitCode, output, _) = await RunAsync(OutputFormat.Json, "greet", "Ann");

        Assert.Equal(ExitCodes.Ok, exitCode);
        using var document = JsonDocument.Parse(output);
        Assert.Equal("hello", document.RootElement.GetProperty("greetings")[0].GetProperty("word").GetString());
    }

    [Theory]
    [InlineData("fail", ExitCodes.Failed, "ipnc: the pod is not on this node")]
    [InlineData("crash", ExitCodes.Failed, "ipnc: the agent failed to run the command: InvalidOperationException: boom")]
    [InlineData("frobnicate", ExitCodes.Usage, "ipnc: unknown command 'frobnicate' (try 'ipnc help')")]
    [InlineData("greet", ExitCodes.Usage, "ipnc: 'greet' needs NAME (usage: greet NAME)")]
    public async Task An_error_is_one_line_on_standard_error_and_its_exit_code(string command, int expectedExitCode, string message)
    {
        var (exitCode, output, error) = await RunAsync(command);

        Assert.Equal(expectedExitCode, exitCode);
        Assert.Empty(output);
        Assert.Equal(message + "\n", error);
    }

    [Fact]
    public async Task Hanging_up_ends_a_streaming_command_on_both_sides_with_exit_code_0()
    {
        var output = new SynchronizedWriter();
        var error = new SynchronizedWriter();
        using var interrupt = new CancellationTokenSource();
        var client = CommandClient.RunAsync(Line(OutputFormat.Text, "stream"), output, error, interrupt.Token);

        await Eventually.HoldsAsync(() => output.Text.Contains("tick  1", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the first event");
        await interrupt.CancelAsync();

        Assert.Equal(ExitCodes.Ok, await client.WaitAsync(TimeSpan.FromSeconds(10)));
        await streamCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("streaming; Ctrl-C to stop\n", error.Text);
    }

    [Fact]
    public async Task An_agent_that_stops_ends_a_running_stream_with_a_clear_error()
    {
        var output = new SynchronizedWriter();
        var error = new SynchronizedWriter();
        var client = CommandClient.RunAsync(Line(OutputFormat.Text, "stream"), output, error, CancellationToken.None);
        await Eventually.HoldsAsync(() => output.Text.Length > 0, TimeSpan.FromSeconds(10), "the first event");

        await endpoint.DisposeAsync();

        Assert.Equal(ExitCodes.Failed, await client.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.EndsWith("ipnc: the agent is stopping\n", error.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"protocol":2,"args":["help"]}""", "this agent speaks command protocol 1, the client 2: use the ipnc of the agent's image")]
    [InlineData("GET / HTTP/1.1", "not an ipnc command request (expected one line of JSON, protocol 1)")]
    public async Task A_request_the_agent_cannot_serve_gets_an_end_record_saying_why(string request, string message)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", endpoint.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request + "\n"));
        using var reader = new StreamReader(stream);

        var end = JsonSerializer.Deserialize<ResponseRecord>((await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)))!, CommandProtocol.Json);

        Assert.Equal(EndRecord.Failure(CommandError.Usage, message), end);
        Assert.Null(await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void A_port_already_taken_stops_the_endpoint_from_starting_with_a_clear_message()
    {
        var error = Assert.Throws<InvalidOperationException>(() => CommandEndpoint.Start(system, CommandPalettes.Get(system), endpoint.Port));

        Assert.StartsWith($"the command endpoint cannot listen on 127.0.0.1:{endpoint.Port}: ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("(set command-port to a free port)", error.Message, StringComparison.Ordinal);
    }

    private Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args) => RunAsync(OutputFormat.Text, args);

    private async Task<(int ExitCode, string Output, string Error)> RunAsync(OutputFormat format, params string[] args)
    {
        using var output = new StringWriter { NewLine = "\n" };
        using var error = new StringWriter { NewLine = "\n" };
        var exitCode = await CommandClient.RunAsync(Line(format, args), output, error, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20));
        return (exitCode, output.ToString(), error.ToString());
    }

    private OperatorCommandLine Line(OutputFormat format, params string[] args) =>
        new(new System.Net.DnsEndPoint("127.0.0.1", endpoint.Port), format, [.. args]);

    private sealed record Greeting(string Name, string Word);

    /// <summary>A writer the client writes to while the test reads it.</summary>
    private sealed class SynchronizedWriter : StringWriter
    {
        private readonly Lock gate = new();

        public SynchronizedWriter() => NewLine = "\n";

        public string Text
        {
            get
            {
                lock (gate)
                {
                    return ToString();
                }
            }
        }

        public override void Write(char value)
        {
            lock (gate)
            {
                base.Write(value);
            }
        }

        public override void Write(string? value)
        {
            lock (gate)
            {
                base.Write(value);
            }
        }

        public override Task WriteLineAsync(string? value)
        {
            lock (gate)
            {
                base.WriteLine(value);
            }

            return Task.CompletedTask;
        }
    }
}
