using System.Collections.Immutable;
using IstioPodNetwork.Kube;

namespace IstioPodNetwork.Actors.Pods;

/// <summary>What the agent does with a pod on its node.</summary>
public abstract record PodDecision
{
    private PodDecision()
    {
    }

    /// <summary>Program the pod's capture.</summary>
    public sealed record Initialize : PodDecision;

    /// <summary>Opted in, but its sandbox has no IP yet: wait for the next version.</summary>
    public sealed record WaitForPodIp : PodDecision;

    /// <summary>Leave the pod alone; <paramref name="Reason"/> says why.</summary>
    public sealed record Skip(string Reason, bool OptedOut) : PodDecision;
}

/// <summary>Who gets initialized: the pod's own annotation wins over its namespace's.</summary>
public static class OptIn
{
    public static PodDecision Decide(PodSnapshot pod, bool namespaceOptedIn, ImmutableHashSet<string> excludedNamespaces)
    {
        if (pod.IsBeingDeleted)
        {
            return new PodDecision.Skip("the pod is being deleted", OptedOut: false);
        }

        if (pod.IsTerminal)
        {
            return new PodDecision.Skip($"the pod has ended (phase {pod.Phase})", OptedOut: false);
        }

        if (excludedNamespaces.Contains(pod.Ref.Namespace))
        {
            return new PodDecision.Skip($"namespace {pod.Ref.Namespace} is excluded by the agent's settings", OptedOut: true);
        }

        if (pod.IsHostNetwork)
        {
            return new PodDecision.Skip("the pod uses the host's network namespace", OptedOut: true);
        }

        if (pod.IsOpenShiftDeployerOrBuild)
        {
            return new PodDecision.Skip("the pod is an OpenShift deployer or build pod", OptedOut: true);
        }

        var optedIn = pod.Annotations.TryGetValue(PodMarkers.InitializeAnnotation, out var own)
            ? bool.TryParse(own.Trim(), out var flag) && flag
            : namespaceOptedIn;
        if (!optedIn)
        {
            var reason = own is null
                ? $"neither the pod nor namespace {pod.Ref.Namespace} is annotated {PodMarkers.InitializeAnnotation}: \"true\""
                : $"the pod's annotation {PodMarkers.InitializeAnnotation} is \"{own}\", not \"true\"";
            return new PodDecision.Skip(reason, OptedOut: true);
        }

        return pod.PodIps.IsEmpty ? new PodDecision.WaitForPodIp() : new PodDecision.Initialize();
    }
}
