using System.Text.Json.Serialization;

namespace IstioPodNetwork.Kube.Models;

/// <summary>
/// The JSON of every object the agent reads and writes, generated at build time for these few small types. Reading
/// KubernetesClient's models instead made the serializer reflect over the ~160 types a V1Pod spans: measured alone,
/// ~8 MB resident and ~70 ms of CPU at an agent's first list, against ~0.6 MB and ~20 ms here.
/// A write leaves out what it does not set, as the API expects.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Pod))]
[JsonSerializable(typeof(PodList))]
[JsonSerializable(typeof(KubeNamespace))]
[JsonSerializable(typeof(NamespaceList))]
[JsonSerializable(typeof(DaemonSet))]
[JsonSerializable(typeof(ApiStatus))]
[JsonSerializable(typeof(KubeEvent))]
[JsonSerializable(typeof(AnnotationsPatch))]
[JsonSerializable(typeof(ConditionPatch))]
public sealed partial class KubeJson : JsonSerializerContext;
