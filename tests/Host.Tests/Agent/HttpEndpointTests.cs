using System.Net;
using System.Net.Sockets;
using System.Text;
using IstioPodNetwork.Host.Agent;

namespace IstioPodNetwork.Host.Tests.Agent;

/// <summary>The agent's HTTP endpoint over real loopback connections, with HttpClient and with raw bytes.</summary>
public sealed class HttpEndpointTests : IAsyncLifetime
{
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private HttpEndpoint endpoint = null!;

    private Uri Base => new($"http://127.0.0.1:{endpoint.LocalEndpoint.Port}/");

    public Task InitializeAsync()
    {
        endpoint = HttpEndpoint.Start("test", new IPEndPoint(IPAddress.Loopback, 0), "test-port", new Dictionary<string, Func<CancellationToken, Task<HttpReply>>>
        {
            ["/healthz"] = _ => Task.FromResult(HttpReply.Text("ok\n")),
            ["/json"] = _ => Task.FromResult(new HttpReply(HttpStatusCode.OK, "application/json", "{\"a\":1}"u8.ToArray())),
            ["/down"] = _ => Task.FromResult(HttpReply.Text("not ready: no watch\n", HttpStatusCode.ServiceUnavailable)),
            ["/broken"] = _ => throw new InvalidOperationException("no replica"),
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await endpoint.DisposeAsync();
        http.Dispose();
    }

    [Fact]
    public async Task A_route_answers_GET_with_its_status_type_and_body_and_a_query_string_is_ignored()
    {
        using var ok = await http.GetAsync(new Uri(Base, "healthz?verbose=1"));
        using var json = await http.GetAsync(new Uri(Base, "json"));
        using var down = await http.GetAsync(new Uri(Base, "down"));

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("ok\n", await ok.Content.ReadAsStringAsync());
        Assert.Equal("text/plain; charset=utf-8", ok.Content.Headers.ContentType?.ToString());
        Assert.Equal("{\"a\":1}", await json.Content.ReadAsStringAsync());
        Assert.Equal("application/json", json.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Equal("not ready: no watch\n", await down.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task HEAD_gets_the_length_without_the_body()
    {
        var reply = await RawAsync("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", reply, StringComparison.Ordinal);
        Assert.Contains("Content-Length: 3\r\n", reply, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n", reply, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_paths_other_methods_and_failing_routes_get_an_error_that_says_why()
    {
        using var missing = await http.GetAsync(new Uri(Base, "metrics"));
        using var posted = await http.PostAsync(new Uri(Base, "healthz"), new StringContent("x"));
        using var broken = await http.GetAsync(new Uri(Base, "broken"));

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("no /metrics here; served: /healthz, /json, /down, /broken\n", await missing.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.MethodNotAllowed, posted.StatusCode);
        Assert.Equal(HttpStatusCode.InternalServerError, broken.StatusCode);
        Assert.Equal("/broken failed: no replica\n", await broken.Content.ReadAsStringAsync());
        using var stillServing = await http.GetAsync(new Uri(Base, "healthz"));
        Assert.Equal(HttpStatusCode.OK, stillServing.StatusCode);
    }

    [Fact]
    public async Task A_request_that_is_not_HTTP_or_too_long_is_refused()
    {
        var garbage = await RawAsync("hello there\r\n\r\n");
        var huge = await RawAsync($"GET /healthz HTTP/1.1\r\nX-Padding: {new string('a', HttpEndpoint.MaxRequestHeadBytes)}\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", garbage, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n", huge, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_connection_that_sends_no_request_is_closed_and_does_not_stop_others()
    {
        using var silent = new TcpClient();
        await silent.ConnectAsync(endpoint.LocalEndpoint);

        using var meanwhile = await http.GetAsync(new Uri(Base, "healthz"));
        var read = await silent.GetStream().ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(HttpStatusCode.OK, meanwhile.StatusCode);
        Assert.Equal(0, read); // closed by the endpoint, unanswered
    }

    [Fact]
    public async Task A_taken_port_is_refused_with_the_setting_to_change()
    {
        var error = Assert.Throws<InvalidOperationException>(() => HttpEndpoint.Start("second", endpoint.LocalEndpoint, "health-port", new Dictionary<string, Func<CancellationToken, Task<HttpReply>>>()));

        Assert.StartsWith($"the second endpoint cannot listen on {endpoint.LocalEndpoint}: ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("(set health-port to a free port)", error.Message, StringComparison.Ordinal);
        using var stillServing = await http.GetAsync(new Uri(Base, "healthz"));
        Assert.Equal(HttpStatusCode.OK, stillServing.StatusCode);
    }

    /// <summary>Sends <paramref name="request"/> as bytes and reads the answer until the server closes the connection.</summary>
    private async Task<string> RawAsync(string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(endpoint.LocalEndpoint);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        }
        catch (IOException)
        {
            // The server may answer and close before it has read everything this sent.
        }

        using var reply = new MemoryStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await stream.CopyToAsync(reply, timeout.Token);
        }
        catch (IOException) when (reply.Length > 0)
        {
            // A reset after the answer, when the server closed with unread bytes from this client.
        }

        return Encoding.ASCII.GetString(reply.ToArray());
    }
}
