using System.Net;
using System.Net.Http.Headers;
using k8s;

namespace IstioPodNetwork.KubeSim.Tests;

/// <summary>Over TLS, KubeSim authenticates as kube-apiserver's secure port does: the kubeconfig's bearer token or 401.</summary>
public sealed class AuthenticationTests() : SimulatorTestBase(new KubeSimOptions { Tls = true })
{
    private const string UnauthorizedStatus = """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}""";

    [Fact]
    public async Task An_API_request_without_the_kubeconfigs_bearer_token_is_answered_401_as_the_real_server_does()
    {
        using var withoutToken = await GetAsync("/api/v1/namespaces", token: null);
        using var withWrongToken = await GetAsync("/api/v1/namespaces?watch=true", token: "x" + Sim.Token);
        using var withToken = await GetAsync("/api/v1/namespaces", token: Sim.Token);

        Assert.Equal(HttpStatusCode.Unauthorized, withoutToken.StatusCode);
        Assert.Equal(UnauthorizedStatus, await withoutToken.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, withWrongToken.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withToken.StatusCode);
        Assert.Contains($"token: {Sim.Token}", await File.ReadAllTextAsync(Sim.KubeconfigPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_version_and_health_paths_and_KubeSims_own_control_paths_need_no_token()
    {
        foreach (var path in new[] { "/version", "/healthz", "/kubesim/nodes" })
        {
            using var response = await GetAsync(path, token: null);
            Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode}");
        }
    }

    /// <summary>Through the typed client's connection (it trusts the kubeconfig's authority), with the header chosen here.</summary>
    private async Task<HttpResponseMessage> GetAsync(string path, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Sim.Url, path));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await Client.HttpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }
}
