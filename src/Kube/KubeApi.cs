using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using IstioPodNetwork.Kube.Models;
using IstioPodNetwork.Kube.Watching;

namespace IstioPodNetwork.Kube;

/// <summary>
/// The API calls the agent makes, over a <see cref="KubeConnection"/> (<see cref="KubeClients"/>), read into this
/// project's own models (<see cref="KubeJson"/>). KubernetesClient's typed calls would read back the whole pod after
/// each patch, which nothing here uses: writes here read only an error's status. An error status, and a watch's
/// ERROR event, surface as a <see cref="KubeApiException"/> with the server's code.
/// </summary>
public sealed class KubeApi(KubeConnection connection) : IDisposable
{
    public const string MergePatch = "application/merge-patch+json";
    public const string StrategicMergePatch = "application/strategic-merge-patch+json";

    private static readonly MediaTypeHeaderValue JsonContent = new("application/json");

    public async Task<T> GetAsync<T>(string pathAndQuery, JsonTypeInfo<T> type, CancellationToken cancellation)
    {
        using var response = await SendAsync(HttpMethod.Get, pathAndQuery, null, null, cancellation);
        return await JsonSerializer.DeserializeAsync(await response.Content.ReadAsStreamAsync(cancellation), type, cancellation)
            ?? throw new JsonException($"{pathAndQuery} answered null");
    }

    /// <summary>Sends <paramref name="body"/> as a JSON document of <paramref name="contentType"/>; the answer's body is not read.</summary>
    public async Task WriteAsync<T>(HttpMethod method, string path, string contentType, T body, JsonTypeInfo<T> type, CancellationToken cancellation)
    {
        using var response = await SendAsync(method, path, contentType, JsonSerializer.Serialize(body, type), cancellation);
    }

    /// <summary>
    /// The events of a watch (<paramref name="pathAndQuery"/> without watch=true), one per line, until the server ends
    /// it; an ERROR event goes to <paramref name="onError"/> as a <see cref="KubeApiException"/> and ends the watch.
    /// </summary>
    public async IAsyncEnumerable<(WatchEventType Type, T Resource)> WatchAsync<T>(
        string pathAndQuery, JsonTypeInfo<T> type, Action<Exception> onError, [EnumeratorCancellation] CancellationToken cancellation)
    {
        var separator = pathAndQuery.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        using var response = await SendAsync(HttpMethod.Get, $"{pathAndQuery}{separator}watch=true", null, null, cancellation);
        using var lines = new StreamReader(await response.Content.ReadAsStreamAsync(cancellation));
        while (await lines.ReadLineAsync(cancellation) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            using var watchEvent = JsonDocument.Parse(line);
            var eventType = watchEvent.RootElement.GetProperty("type").GetString();
            var item = watchEvent.RootElement.GetProperty("object");
            if (eventType == "ERROR")
            {
                var status = item.Deserialize(KubeJson.Default.ApiStatus);
                onError(new KubeApiException((HttpStatusCode)(status?.Code ?? 0), $"{status?.Code} {status?.Reason}: {status?.Message}"));
                yield break;
            }

            yield return (EventType(eventType), item.Deserialize(type) ?? throw new JsonException($"a watch event of {pathAndQuery} without its object"));
        }
    }

    /// <summary>
    /// An error answer as "HTTP 403 Forbidden: …", ending with the message of the Status the server sent, which says
    /// what it refused (the user and verb RBAC denied, the object that is missing), unless there is none or it only
    /// repeats the reason phrase.
    /// </summary>
    private static string DescribeError(HttpResponseMessage response, string content)
    {
        var status = $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
        if (string.IsNullOrEmpty(content))
        {
            return status;
        }

        try
        {
            return JsonSerializer.Deserialize(content, KubeJson.Default.ApiStatus)?.Message is { Length: > 0 } message && message != response.ReasonPhrase
                ? $"{status}: {message}"
                : status;
        }
        catch (JsonException)
        {
            return status;
        }
    }

    public void Dispose() => connection.Dispose();

    private static WatchEventType EventType(string? type) => type switch
    {
        "ADDED" => WatchEventType.Added,
        "MODIFIED" => WatchEventType.Modified,
        "DELETED" => WatchEventType.Deleted,
        "BOOKMARK" => WatchEventType.Bookmark,
        _ => throw new JsonException($"unknown watch event type \"{type}\""),
    };

    /// <summary>The answer, once its headers are in and its status is a success; any other status throws <see cref="KubeApiException"/>.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string pathAndQuery, string? contentType, string? body, CancellationToken cancellation)
    {
        using var request = await RequestAsync(method, pathAndQuery, contentType, body, cancellation);
        var response = await connection.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellation);
        try
        {
            await ThrowUnlessSuccessAsync(request, response, cancellation);
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private async Task<HttpRequestMessage> RequestAsync(HttpMethod method, string pathAndQuery, string? contentType, string? body, CancellationToken cancellation)
    {
        // As KubernetesClient's own calls and client-go ask: HTTP/2 where TLS negotiates it (ALPN), so that every watch
        // and write shares one connection (SocketsHttpHandler opens more only past the server's stream limit), instead
        // of a connection and TLS session per concurrent request; HTTP/1.1 otherwise.
        var request = new HttpRequestMessage(method, new Uri(connection.Server, pathAndQuery))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(JsonContent.MediaType!));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, contentType ?? JsonContent.MediaType!);
        }

        await connection.AuthenticateAsync(request, cancellation);

        return request;
    }

    private static async Task ThrowUnlessSuccessAsync(HttpRequestMessage request, HttpResponseMessage response, CancellationToken cancellation)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var content = await response.Content.ReadAsStringAsync(cancellation);
        throw new KubeApiException(response.StatusCode, DescribeError(response, content), $"{request.Method} {request.RequestUri?.AbsolutePath}", content);
    }
}
