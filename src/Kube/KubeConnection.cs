namespace IstioPodNetwork.Kube;

/// <summary>
/// How requests reach the API server: the HTTP client (its TLS trust), the server's address, and the credentials
/// each request carries. Disposing it closes whatever it was built on.
/// </summary>
public sealed class KubeConnection(HttpClient http, Uri server, Func<HttpRequestMessage, CancellationToken, Task> authenticate, IDisposable owner) : IDisposable
{
    public HttpClient Http => http;

    public Uri Server => server;

    public Task AuthenticateAsync(HttpRequestMessage request, CancellationToken cancellation) => authenticate(request, cancellation);

    public void Dispose() => owner.Dispose();
}
