using System.Text.Json.Nodes;
using IstioPodNetwork.KubeSim.Api;
using IstioPodNetwork.KubeSim.Store;

namespace IstioPodNetwork.KubeSim.Auth;

/// <summary>
/// Kubernetes RBAC for service accounts, from the Roles, ClusterRoles and their bindings in the store: a request is
/// allowed when a rule bound to the account names its API group, resource (with subresource: "pods/status"), verb
/// and, when the rule lists resourceNames, the object's name. ClusterRoleBindings grant everywhere, RoleBindings in
/// their namespace only. Requests for no resource (discovery, /version) are allowed to anyone authenticated, as
/// Kubernetes' default system:discovery role does.
/// </summary>
internal sealed class RbacAuthorizer(ObjectStore store)
{
    public bool Allows(Identity identity, string verb, RequestTarget target)
    {
        var rules = Bound(ResourceCatalog.ClusterRoleBindings, null, identity);
        if (target.Namespace is { } ns)
        {
            rules = rules.Concat(Bound(ResourceCatalog.RoleBindings, ns, identity));
        }

        return rules.Any(rule =>
            Lists(rule, "apiGroups", target.Type.Group)
            && Lists(rule, "resources", target.Resource)
            && Lists(rule, "verbs", verb)
            && (rule["resourceNames"] is not JsonArray { Count: > 0 } names || (target.Name is { } name && names.Any(n => n?.GetValue<string>() == name))));
    }

    /// <summary>The rules of every role that a binding of <paramref name="bindingType"/> (in <paramref name="ns"/>) gives the identity.</summary>
    private IEnumerable<JsonObject> Bound(ResourceType bindingType, string? ns, Identity identity)
    {
        foreach (var binding in store.List(bindingType, ns, Selector.Everything).Items.Select(b => b.ToNode()))
        {
            if (binding["subjects"] is not JsonArray subjects || !subjects.OfType<JsonObject>().Any(s => Names(s, identity)))
            {
                continue;
            }

            var roleRef = binding["roleRef"] as JsonObject;
            var role = (roleRef?["kind"]?.GetValue<string>(), roleRef?["name"]?.GetValue<string>()) switch
            {
                ("ClusterRole", { } name) => store.Get(ResourceCatalog.ClusterRoles, null, name),
                ("Role", { } name) when ns is not null => store.Get(ResourceCatalog.Roles, ns, name),
                _ => null,
            };
            if (role?.ToNode()["rules"] is JsonArray rules)
            {
                foreach (var rule in rules.OfType<JsonObject>())
                {
                    yield return rule;
                }
            }
        }
    }

    private static bool Names(JsonObject subject, Identity identity) =>
        (subject["kind"]?.GetValue<string>(), subject["name"]?.GetValue<string>(), subject["namespace"]?.GetValue<string>()) switch
        {
            ("ServiceAccount", var name, var ns) => identity.IsServiceAccount && name == identity.ServiceAccountName && ns == identity.ServiceAccountNamespace,
            ("User", var name, _) => name == identity.User,
            ("Group", "system:authenticated", _) => true,
            ("Group", var group, _) => identity.IsServiceAccount && (group == "system:serviceaccounts" || group == $"system:serviceaccounts:{identity.ServiceAccountNamespace}"),
            _ => false,
        };

    private static bool Lists(JsonObject rule, string key, string value) =>
        rule[key] is JsonArray values && values.Any(v => v?.GetValue<string>() is { } given && (given == "*" || given == value));
}
