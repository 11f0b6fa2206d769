namespace IstioPodNetwork.Kube.Models;

/// <summary>A namespace: its annotations say whether its pods opted in.</summary>
public sealed class KubeNamespace : IKubeObject
{
    public ObjectMeta Metadata { get; init; } = new();
}

public sealed class NamespaceList : IKubeList<KubeNamespace>
{
    public ListMeta Metadata { get; init; } = new();

    public IReadOnlyList<KubeNamespace> Items { get; init; } = [];
}
