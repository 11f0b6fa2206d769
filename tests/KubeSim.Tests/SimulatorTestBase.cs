using k8s;

namespace IstioPodNetwork.KubeSim.Tests;

/// <summary>A fresh KubeSim and a KubernetesClient for it, per test.</summary>
public abstract class SimulatorTestBase(KubeSimOptions options) : IAsyncLifetime
{
    protected static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    protected KubeSimServer Sim { get; private set; } = null!;

    protected Kubernetes Client { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        Sim = await KubeSimServer.StartAsync(options);
        Client = Clients.For(Sim);
    }

    public virtual async Task DisposeAsync()
    {
        Client.Dispose();
        await Sim.DisposeAsync();
    }
}
