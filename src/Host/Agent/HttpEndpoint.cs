using System.Net;
using System.Net.Sockets;
using System.Text;
using IstioPodNetwork.Host.Listening;
using Serilog;

namespace IstioPodNetwork.Host.Agent;

/// <summary>What a route answers: status, content type and the whole body.</summary>
public sealed record HttpReply(HttpStatusCode Status, string ContentType, byte[] Body)
{
    public static HttpReply Text(string text, HttpStatusCode status = HttpStatusCode.OK) =>
        new(status, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(text));
}

/// <summary>
/// The agent's HTTP side: a few GET routes (probes, metrics, bootstrap's contact point) answered one
/// request per connection. The agent used ASP.NET Core's Kestrel for these; on an agent that must stay
/// small on every node, it cost ~17 MB resident and ~0.1 CPU-second at start (a minimal Kestrel app
/// against this, measured side by side), for features none of these routes use. HttpListener, the
/// other server in the box, cannot listen on port 0 and matches the Host header against its prefix.
/// Clients are kubelet, Prometheus and peer agents: a request head is read with a bound on its size
/// and time, and every answer closes the connection (HTTP/1.1 clients then open a new one).
/// </summary>
public sealed class HttpEndpoint : TcpEndpoint
{
    /// <summary>Request line and headers; kubelet, Prometheus and HttpClient send a few hundred bytes.</summary>
    public const int MaxRequestHeadBytes = 8192;

    /// <summary>
    /// The health port is on the node's address: connections that never send a request must not be able to crowd
    /// out kubelet's probes, so each gets <see cref="RequestTimeout"/> in all, and beyond this many at once new ones
    /// are closed unanswered (an 8 KiB buffer each while they last).
    /// </summary>
    private const int MaxConnections = 128;

    /// <summary>Kubelet's probes time out after 1 s by default, Prometheus's scrapes after 10 s; the answer itself is immediate.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);
    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();

    private readonly Dictionary<string, Func<CancellationToken, Task<HttpReply>>> routes;
    private readonly string served;
    private int connections;

    private HttpEndpoint(string name, IPEndPoint at, string portSetting, IReadOnlyDictionary<string, Func<CancellationToken, Task<HttpReply>>> routes)
        : base(name, at, portSetting)
    {
        this.routes = new(routes, StringComparer.Ordinal);
        served = string.Join(", ", routes.Keys);
        StartAccepting();
    }

    /// <summary>
    /// Listens on <paramref name="at"/> (port 0 picks a free port) and answers GET and HEAD for <paramref name="routes"/>
    /// (path → answer; a query string is ignored). Throws with a message naming <paramref name="portSetting"/> when it cannot listen.
    /// </summary>
    public static HttpEndpoint Start(string name, IPEndPoint at, string portSetting, IReadOnlyDictionary<string, Func<CancellationToken, Task<HttpReply>>> routes)
    {
        var endpoint = new HttpEndpoint(name, at, portSetting, routes);
        Log.Information("HTTP {Name} endpoint listening on {Endpoint}: {Routes}", name, endpoint.LocalEndpoint, endpoint.served);
        return endpoint;
    }

    protected override void Serve(TcpClient client)
    {
        if (Interlocked.Increment(ref connections) > MaxConnections)
        {
            Interlocked.Decrement(ref connections);
            client.Dispose();
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await ServeAsync(client);
            }
            finally
            {
                Interlocked.Decrement(ref connections);
            }
        });
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var connection = client;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Stopping);
        timeout.CancelAfter(RequestTimeout);
        var stream = client.GetStream();
        try
        {
            var head = await ReadHeadAsync(stream, timeout.Token);
            var (reply, withBody) = head is null
                ? (HttpReply.Text($"request head longer than {MaxRequestHeadBytes} bytes\n", HttpStatusCode.RequestHeaderFieldsTooLarge), true)
                : await AnswerAsync(head, timeout.Token);
            await WriteAsync(stream, reply, withBody, timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // A client that went away, or sent no complete request in time: nobody is left to answer.
        }
    }

    private async Task<(HttpReply Reply, bool WithBody)> AnswerAsync(string head, CancellationToken cancellation)
    {
        var requestLine = head[..head.IndexOf('\r', StringComparison.Ordinal)].Split(' ');
        if (requestLine is not [var method, var target, var version] || !version.StartsWith("HTTP/1.", StringComparison.Ordinal) || !target.StartsWith('/'))
        {
            return (HttpReply.Text("not an HTTP/1.x request\n", HttpStatusCode.BadRequest), true);
        }

        if (method is not ("GET" or "HEAD"))
        {
            return (HttpReply.Text($"{method} is not served here; GET or HEAD\n", HttpStatusCode.MethodNotAllowed), true);
        }

        var withBody = method == "GET";
        var query = target.IndexOf('?', StringComparison.Ordinal);
        var path = query < 0 ? target : target[..query];
        if (!routes.TryGetValue(path, out var route))
        {
            return (HttpReply.Text($"no {path} here; served: {served}\n", HttpStatusCode.NotFound), withBody);
        }

        try
        {
            return (await route(cancellation), withBody);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
        {
            Log.Warning("HTTP {Name} endpoint: {Path} failed: {Error}", Name, path, e.Message);
            return (HttpReply.Text($"{path} failed: {e.Message}\n", HttpStatusCode.InternalServerError), withBody);
        }
    }

    /// <summary>The request line and headers (ASCII), or null when they exceed <see cref="MaxRequestHeadBytes"/>.</summary>
    private static async Task<string?> ReadHeadAsync(NetworkStream stream, CancellationToken cancellation)
    {
        var buffer = new byte[MaxRequestHeadBytes];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellation);
            if (read == 0)
            {
                throw new IOException("the client closed the connection before the end of its request head");
            }

            var searchFrom = Math.Max(0, length - (HeadEnd.Length - 1));
            length += read;
            if (buffer.AsSpan(searchFrom, length - searchFrom).IndexOf(HeadEnd) >= 0)
            {
                return Encoding.ASCII.GetString(buffer, 0, length);
            }
        }

        return null;
    }

    private static async Task WriteAsync(NetworkStream stream, HttpReply reply, bool withBody, CancellationToken cancellation)
    {
        var head = $"HTTP/1.1 {(int)reply.Status} {ReasonPhrase(reply.Status)}\r\nContent-Type: {reply.ContentType}\r\nContent-Length: {reply.Body.Length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancellation);
        if (withBody)
        {
            await stream.WriteAsync(reply.Body, cancellation);
        }
    }

    private static string ReasonPhrase(HttpStatusCode status) => status switch
    {
        HttpStatusCode.OK => "OK",
        HttpStatusCode.BadRequest => "Bad Request",
        HttpStatusCode.NotFound => "Not Found",
        HttpStatusCode.MethodNotAllowed => "Method Not Allowed",
        HttpStatusCode.RequestHeaderFieldsTooLarge => "Request Header Fields Too Large",
        HttpStatusCode.InternalServerError => "Internal Server Error",
        HttpStatusCode.ServiceUnavailable => "Service Unavailable",
        _ => status.ToString(),
    };
}
