namespace IstioPodNetwork.Kube;

/// <summary>Which pod: its namespace, name and UID (the UID tells a pod from a later one of the same name).</summary>
public sealed record PodRef(string Namespace, string Name, string Uid)
{
    public override string ToString() => $"{Namespace}/{Name} ({Uid})";
}
