using IstioPodNetwork.KubeSim;

namespace IstioPodNetwork.Integration.Tests.Support;

/// <summary>
/// One sandbox-less KubeSim for the tests that only need an API for agents to talk to
/// (command output, start and stop). It creates nothing on the machine; it goes with the test process.
/// </summary>
public static class SharedKubeSim
{
    private static readonly Lazy<Task<KubeSimServer>> Server = new(StartAsync);

    public static Task<KubeSimServer> GetAsync() => Server.Value;

    private static async Task<KubeSimServer> StartAsync()
    {
        var server = await KubeSimServer.StartAsync(new KubeSimOptions());
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return server;
    }
}
