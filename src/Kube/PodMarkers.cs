namespace IstioPodNetwork.Kube;

/// <summary>The names this controller writes on pods, compatible with the original project.</summary>
public static class PodMarkers
{
    /// <summary>The original project's done marker.</summary>
    public const string StatusAnnotation = "pod-network-controller.istio.io/status";

    public const string InitializedValue = "initialized";

    /// <summary>A pod condition a pod can list in spec.readinessGates.</summary>
    public const string InitializedCondition = "pod-network-controller.istio.io/initialized";

    /// <summary>The opt-in annotation, on a pod or its namespace.</summary>
    public const string InitializeAnnotation = "istio-pod-network-controller/initialize";

    public const string Component = "istio-pod-network-controller";
}
