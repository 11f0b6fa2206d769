using Akka.Actor;
using Akka.Cluster.Tools.Singleton;
using Akka.Hosting;
using IstioPodNetwork.Actors.Namespaces;
using IstioPodNetwork.Actors.Pods;
using IstioPodNetwork.Actors.Ports;
using IstioPodNetwork.Actors.Status;
using IstioPodNetwork.Capture.Netns;
using IstioPodNetwork.Capture.Processes;
using IstioPodNetwork.Capture.Programming;
using IstioPodNetwork.Host.Configuration;
using IstioPodNetwork.Kube;
using IstioPodNetwork.Kube.Models;
using IstioPodNetwork.Kube.Watching;

namespace IstioPodNetwork.Host.Agent;

/// <summary>The node agent's actors, wired to the real API, /proc and iptables.</summary>
public static class NodeAgentHosting
{
    public static AkkaConfigurationBuilder WithNodeAgent(this AkkaConfigurationBuilder builder, AgentSettings settings, KubeApi api) =>
        builder.WithActors((system, registry) =>
        {
            system.ActorOf(AgentMetrics.Props(), "metrics");
            var replica = system.ActorOf(PodStateReplica.Props(settings.NodeName), "pod-state-replica");
            registry.Register<PodStateReplica>(replica);
            var status = system.ActorOf(NodeStatus.Props(settings.NodeName, replica), "node-status");
            registry.Register<NodeStatus>(status);

            var capture = new NodeCapture(
                settings.Capture.Defaults,
                new ProcNetnsFinder(settings.Capture.ProcRoot),
                new CaptureProgrammer(new ProcessRunner(), new NetnsProcFiles(), IptablesTools.FromPath(), settings.Capture.IptablesBackend));
            var supervisor = system.ActorOf(
                PodSupervisor.Props(capture, new PodStatusWriter(api, settings.NodeName), status, SupervisorSettings(settings)),
                "pod-supervisor");
            registry.Register<PodSupervisor>(supervisor);

            system.ActorOf(PodWatcher.Props(new ResilientWatch<Pod>(WatchSources.PodsOnNode(api, settings.NodeName)), supervisor), "pod-watcher");
            var namespaces = new ResilientWatch<KubeNamespace>(WatchSources.Namespaces(api));
            if (settings.NamespaceWatch == NamespaceWatch.PerNode)
            {
                system.ActorOf(NamespaceWatcher.Props(namespaces, supervisor), "namespace-watcher");
                return;
            }

            // One watcher for the cluster, on its oldest member; it writes the set through its own node's
            // replica, and every node's replica tells that node's supervisor.
            var namespaceReplica = system.ActorOf(OptedInNamespacesReplica.Props(supervisor), "opted-in-namespaces");
            system.ActorOf(
                ClusterSingletonManager.Props(NamespaceWatcher.Props(namespaces, namespaceReplica), PoisonPill.Instance, ClusterSingletonManagerSettings.Create(system)),
                "namespace-watcher");
        });

    private static PodSupervisorSettings SupervisorSettings(AgentSettings settings) => new(
        [.. settings.ExcludedNamespaces],
        settings.MaxConcurrentProgramming,
        settings.BackoffMin,
        settings.BackoffMax,
        BackoffRandomFactor: 0.2,
        settings.MaxRetries,
        new PodActorSettings(settings.NetnsWait, settings.NetnsRetryInterval));
}
