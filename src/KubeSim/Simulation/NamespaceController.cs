using System.Text.Json.Nodes;
using IstioPodNetwork.KubeSim.Store;

namespace IstioPodNetwork.KubeSim.Simulation;

/// <summary>The namespace controller (finishes a namespace delete once it is empty), the service-account controller and the garbage collector.</summary>
internal sealed partial class ClusterSimulator
{
    private static readonly TimeSpan TerminatingPoll = TimeSpan.FromMilliseconds(100);

    private void ReconcileNamespace(string name)
    {
        if (store.Get(ResourceCatalog.Namespaces, null, name) is not { } ns)
        {
            return;
        }

        if (!ns.Terminating)
        {
            if (store.Get(ResourceCatalog.ServiceAccounts, name, "default") is null)
            {
                IgnoreGoneOrForbidden(() => registry.Create(ResourceCatalog.ServiceAccounts, name, new JsonObject { ["metadata"] = new JsonObject { ["name"] = "default" } }));
            }

            return;
        }

        var remaining = 0;
        foreach (var type in ResourceCatalog.All.Where(t => t.Namespaced))
        {
            foreach (var item in store.List(type, name, Selector.Everything).Items)
            {
                remaining++;
                if (!item.Terminating)
                {
                    IgnoreGone(() => registry.Delete(type, name, item.Name, DeleteOptions.Default));
                }
            }
        }

        if (remaining > 0)
        {
            namespaces.AddAfter(name, TerminatingPoll);
            return;
        }

        IgnoreGone(() => registry.GuaranteedUpdate(ResourceCatalog.Namespaces, null, name, current =>
        {
            var node = current.ToNode();
            node.Obj("spec")["finalizers"] = new JsonArray();
            return node;
        }, statusOnly: false));
    }

    /// <summary>Background deletion: dependents of a deleted owner go too (a dependent with other owners only loses the reference).</summary>
    private void CollectGarbage(string key)
    {
        var separator = key.IndexOf('|', StringComparison.Ordinal);
        var ns = key[..separator];
        var uid = key[(separator + 1)..];
        foreach (var type in ResourceCatalog.All.Where(t => t.Namespaced || ns.Length == 0))
        {
            foreach (var dependent in store.List(type, ns.Length == 0 ? null : ns, Selector.Everything).Items)
            {
                if (!dependent.Owners.Any(o => o.Uid == uid))
                {
                    continue;
                }

                if (dependent.Owners.Count == 1)
                {
                    if (!dependent.Terminating)
                    {
                        IgnoreGone(() => registry.Delete(type, dependent.Namespace, dependent.Name, DeleteOptions.Default));
                    }
                }
                else
                {
                    IgnoreGone(() => registry.RemoveOwnerReference(type, dependent, uid));
                }
            }
        }
    }

    private static void IgnoreGoneOrForbidden(Action write)
    {
        try
        {
            write();
        }
        catch (ApiException e) when (e.Code is 403 or 404 or 409)
        {
            // The namespace is going away, or someone made it first.
        }
    }
}
