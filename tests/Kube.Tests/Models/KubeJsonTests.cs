using System.Text.Json;
using IstioPodNetwork.Kube.Models;
using k8s;
using k8s.Models;

namespace IstioPodNetwork.Kube.Tests.Models;

/// <summary>The agent's own models read the API's JSON keys, and its writes are the JSON the API expects.</summary>
public sealed class KubeJsonTests
{
    [Fact]
    public void A_pod_from_the_API_reads_every_field_the_agent_decides_on()
    {
        var pod = JsonSerializer.Deserialize(
            """
            {"apiVersion":"v1","kind":"Pod",
             "metadata":{"name":"web","namespace":"shop","uid":"u-1","resourceVersion":"42","generation":3,
                         "deletionTimestamp":"2026-11-28T10:00:00Z","labels":{"app":"web"},"annotations":{"a":"b"},
                         "ownerReferences":[{"apiVersion":"apps/v1","kind":"DaemonSet","name":"ds","uid":"u-ds","controller":true}],
                         "managedFields":[{"manager":"kubectl","fieldsV1":{"f:metadata":{}}}]},
             "spec":{"nodeName":"node-a","hostNetwork":true,"securityContext":{"runAsUser":1000,"runAsGroup":2000},
                     "containers":[{"name":"istio-proxy","image":"proxyv2","ports":[{"name":"http-envoy-prom","containerPort":15090,"protocol":"TCP"}],
                                    "securityContext":{"runAsUser":1337},"env":[{"name":"ISTIO_META_DNS_CAPTURE","value":"true"},{"name":"POD","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}]}],
                     "volumes":[{"name":"v","projected":{"sources":[]}}]},
             "status":{"phase":"Running","podIP":"10.1.0.5","podIPs":[{"ip":"10.1.0.5"},{"ip":"fd00::5"}],
                       "conditions":[{"type":"Ready","status":"True","reason":"R","message":"M"}],"containerStatuses":[{"name":"istio-proxy","ready":true}]}}
            """,
            KubeJson.Default.Pod)!;

        Assert.Equal(("web", "shop", "u-1", "42", 3L), (pod.Metadata.Name, pod.Metadata.Namespace, pod.Metadata.Uid, pod.Metadata.ResourceVersion, pod.Metadata.Generation));
        Assert.Equal(new DateTime(2026, 11, 28, 10, 0, 0, DateTimeKind.Utc), pod.Metadata.DeletionTimestamp);
        Assert.Equal("web", pod.Metadata.Labels!["app"]);
        Assert.Equal("b", pod.Metadata.Annotations!["a"]);
        Assert.Equal(("DaemonSet", "ds", true), (pod.Metadata.OwnerReferences![0].Kind, pod.Metadata.OwnerReferences[0].Name, pod.Metadata.OwnerReferences[0].Controller));
        Assert.Equal(("node-a", true, 1000L, 2000L), (pod.Spec!.NodeName, pod.Spec.HostNetwork, pod.Spec.SecurityContext!.RunAsUser, pod.Spec.SecurityContext.RunAsGroup));
        var proxy = Assert.Single(pod.Spec.Containers!);
        Assert.Equal(("http-envoy-prom", 15090, "TCP"), (proxy.Ports![0].Name, proxy.Ports[0].Number, proxy.Ports[0].Protocol));
        Assert.Equal(1337L, proxy.SecurityContext!.RunAsUser);
        Assert.Equal([("ISTIO_META_DNS_CAPTURE", "true"), ("POD", null)], proxy.Env!.Select(e => (e.Name, e.Value)));
        Assert.Equal(("Running", "10.1.0.5"), (pod.Status!.Phase, pod.Status.PodIP));
        Assert.Equal(["10.1.0.5", "fd00::5"], pod.Status.PodIPs!.Select(ip => ip.Ip));
        Assert.Equal(("Ready", "True", "R", "M"), (pod.Status.Conditions![0].Type, pod.Status.Conditions[0].Status, pod.Status.Conditions[0].Reason, pod.Status.Conditions[0].Message));
    }

    [Fact]
    public void A_pod_read_from_KubernetesClients_model_keeps_what_the_agent_reads()
    {
        var pod = Pod.From(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "shop", Annotations = new Dictionary<string, string> { ["a"] = "b" } },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Ports = [new V1ContainerPort { ContainerPort = 8080 }] }] },
            Status = new V1PodStatus { PodIP = "10.1.0.5" },
        });

        Assert.Equal(("web", "shop", "b", 8080, "10.1.0.5"), (pod.Metadata.Name, pod.Metadata.Namespace, pod.Metadata.Annotations!["a"], pod.Spec!.Containers![0].Ports![0].Number, pod.Status!.PodIP));
    }

    [Fact]
    public void An_annotations_patch_sends_null_to_remove_an_annotation()
    {
        Assert.Equal("""{"metadata":{"annotations":{"k":null}}}""", JsonSerializer.Serialize(AnnotationsPatch.Of("k", null), KubeJson.Default.AnnotationsPatch));
        Assert.Equal("""{"metadata":{"annotations":{"k":"v"}}}""", JsonSerializer.Serialize(AnnotationsPatch.Of("k", "v"), KubeJson.Default.AnnotationsPatch));
    }

    [Fact]
    public void A_condition_patch_and_an_event_are_written_with_the_APIs_keys_and_without_unset_fields()
    {
        var condition = ConditionPatch.Of(new ConditionPatch.PatchedCondition("t", "True", "R", "M", "2026-11-28T10:00:00Z"));
        var record = new KubeEvent
        {
            Metadata = new ObjectMeta { Name = "web.1", Namespace = "shop" },
            InvolvedObject = new ObjectReference { Kind = "Pod", Name = "web", Uid = "u-1" },
            Reason = "Initialized",
            FirstTimestamp = new DateTime(2026, 11, 28, 10, 0, 0, DateTimeKind.Utc),
            Count = 1,
        };

        Assert.Equal(
            """{"status":{"conditions":[{"type":"t","status":"True","reason":"R","message":"M","lastTransitionTime":"2026-11-28T10:00:00Z"}]}}""",
            JsonSerializer.Serialize(condition, KubeJson.Default.ConditionPatch));
        Assert.Equal(
            """{"apiVersion":"v1","kind":"Event","metadata":{"name":"web.1","namespace":"shop"},"involvedObject":{"kind":"Pod","name":"web","uid":"u-1"},"reason":"Initialized","firstTimestamp":"2026-11-28T10:00:00Z","count":1}""",
            JsonSerializer.Serialize(record, KubeJson.Default.KubeEvent));
        // KubernetesClient reads it back as the API's Event.
        Assert.Equal("web", KubernetesJson.Deserialize<Corev1Event>(JsonSerializer.Serialize(record, KubeJson.Default.KubeEvent)).InvolvedObject.Name);
    }
}
