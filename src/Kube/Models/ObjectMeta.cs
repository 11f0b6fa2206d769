namespace IstioPodNetwork.Kube.Models;

/// <summary>An API object the agent lists and watches: what a watch needs of it is its metadata.</summary>
public interface IKubeObject
{
    ObjectMeta Metadata { get; init; }
}

/// <summary>A complete list of objects, read at one resourceVersion.</summary>
public interface IKubeList<out T>
    where T : IKubeObject
{
    ListMeta Metadata { get; }

    IReadOnlyList<T> Items { get; }
}

/// <summary>The part of an object's metadata the agent reads.</summary>
public sealed class ObjectMeta
{
    public string? Name { get; init; }

    public string? Namespace { get; init; }

    public string? Uid { get; init; }

    public string? ResourceVersion { get; init; }

    public long? Generation { get; init; }

    public DateTime? DeletionTimestamp { get; init; }

    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    public IReadOnlyList<OwnerReference>? OwnerReferences { get; init; }
}

public sealed class OwnerReference
{
    public string? ApiVersion { get; init; }

    public string? Kind { get; init; }

    public string? Name { get; init; }

    public string? Uid { get; init; }

    public bool? Controller { get; init; }
}

/// <summary>A list's metadata: the resourceVersion it was read at.</summary>
public sealed class ListMeta
{
    public string? ResourceVersion { get; init; }
}
