using System.Text;
using System.Text.Json.Nodes;
using IstioPodNetwork.KubeSim.Store;

namespace IstioPodNetwork.KubeSim.Api;

/// <summary>
/// Reads the Kubernetes protobuf encoding ("k8s\0" + runtime.Unknown) for the few kinds whose typed
/// clients kubectl uses to create objects from flags (`kubectl create namespace|configmap|secret|serviceaccount`),
/// using their field numbers from k8s.io/api's generated.proto. Other kinds answer 415.
/// </summary>
internal static class Protobuf
{
    public const string MediaType = "application/vnd.kubernetes.protobuf";

    private static readonly byte[] Magic = "k8s\0"u8.ToArray();

    private static readonly Message ObjectMeta = new(
        F(1, "name", Kind.String),
        F(2, "generateName", Kind.String),
        F(3, "namespace", Kind.String),
        F(5, "uid", Kind.String),
        F(6, "resourceVersion", Kind.String),
        F(11, "labels", Kind.StringMap),
        F(12, "annotations", Kind.StringMap),
        F(14, "finalizers", Kind.RepeatedString));

    private static readonly Dictionary<ResourceType, Message> Kinds = new()
    {
        [ResourceCatalog.Namespaces] = new(F(1, "metadata", Kind.Message, ObjectMeta), F(2, "spec", Kind.Message, new Message(F(1, "finalizers", Kind.RepeatedString)))),
        [ResourceCatalog.ConfigMaps] = new(F(1, "metadata", Kind.Message, ObjectMeta), F(2, "data", Kind.StringMap), F(3, "binaryData", Kind.BytesMap), F(4, "immutable", Kind.Bool)),
        [ResourceCatalog.Secrets] = new(F(1, "metadata", Kind.Message, ObjectMeta), F(2, "data", Kind.BytesMap), F(3, "type", Kind.String), F(4, "stringData", Kind.StringMap), F(5, "immutable", Kind.Bool)),
        [ResourceCatalog.ServiceAccounts] = new(F(1, "metadata", Kind.Message, ObjectMeta), F(3, "imagePullSecrets", Kind.RepeatedMessage, new Message(F(1, "name", Kind.String))), F(4, "automountServiceAccountToken", Kind.Bool)),
    };

    public static JsonObject Decode(ResourceType type, byte[] body)
    {
        if (!Kinds.TryGetValue(type, out var message))
        {
            throw ApiException.UnsupportedMediaType(MediaType, ["application/json"]);
        }

        if (!body.AsSpan().StartsWith(Magic))
        {
            throw ApiException.BadRequest("the protobuf body does not start with the k8s\\0 envelope");
        }

        var unknown = new Reader(body.AsMemory(Magic.Length));
        ReadOnlyMemory<byte> raw = default;
        while (unknown.Next(out var field, out var value))
        {
            if (field == 2)
            {
                raw = value.Bytes;
            }
        }

        return Read(new Reader(raw), message);
    }

    private static JsonObject Read(Reader reader, Message message)
    {
        var obj = new JsonObject();
        while (reader.Next(out var field, out var value))
        {
            if (!message.Fields.TryGetValue(field, out var spec))
            {
                continue;
            }

            switch (spec.Kind)
            {
                case Kind.String when value.Bytes.Length == 0:
                    // Go writes every string field; empty is the zero value JSON would omit.
                    break;
                case Kind.String:
                    obj[spec.Name] = Encoding.UTF8.GetString(value.Bytes.Span);
                    break;
                case Kind.Int:
                    obj[spec.Name] = (long)value.Varint;
                    break;
                case Kind.Bool:
                    obj[spec.Name] = value.Varint != 0;
                    break;
                case Kind.RepeatedString:
                    ((obj[spec.Name] ??= new JsonArray()) as JsonArray)!.Add(Encoding.UTF8.GetString(value.Bytes.Span));
                    break;
                case Kind.Message:
                    obj[spec.Name] = Read(new Reader(value.Bytes), spec.Message!);
                    break;
                case Kind.RepeatedMessage:
                    ((obj[spec.Name] ??= new JsonArray()) as JsonArray)!.Add(Read(new Reader(value.Bytes), spec.Message!));
                    break;
                default:
                    var (key, entry) = MapEntry(value.Bytes);
                    var map = (obj[spec.Name] ??= new JsonObject()) as JsonObject;
                    map![key] = spec.Kind == Kind.StringMap ? Encoding.UTF8.GetString(entry.Span) : Convert.ToBase64String(entry.Span);
                    break;
            }
        }

        return obj;
    }

    private static (string Key, ReadOnlyMemory<byte> Value) MapEntry(ReadOnlyMemory<byte> bytes)
    {
        var reader = new Reader(bytes);
        var key = string.Empty;
        ReadOnlyMemory<byte> value = default;
        while (reader.Next(out var field, out var item))
        {
            if (field == 1)
            {
                key = Encoding.UTF8.GetString(item.Bytes.Span);
            }
            else if (field == 2)
            {
                value = item.Bytes;
            }
        }

        return (key, value);
    }

    private enum Kind
    {
        String,
        Int,
        Bool,
        RepeatedString,
        Message,
        RepeatedMessage,
        StringMap,
        BytesMap,
    }

    private sealed record FieldSpec(string Name, Kind Kind, Message? Message);

    private static (int, FieldSpec) F(int number, string name, Kind kind, Message? message = null) => (number, new FieldSpec(name, kind, message));

    private sealed class Message(params (int Number, FieldSpec Spec)[] fields)
    {
        public Dictionary<int, FieldSpec> Fields { get; } = fields.ToDictionary(f => f.Number, f => f.Spec);
    }

    private readonly record struct Value(ulong Varint, ReadOnlyMemory<byte> Bytes);

    /// <summary>Walks the fields of one protobuf message (wire types 0, 1, 2 and 5).</summary>
    private sealed class Reader(ReadOnlyMemory<byte> data)
    {
        private int position;

        public bool Next(out int field, out Value value)
        {
            value = default;
            field = 0;
            if (position >= data.Length)
            {
                return false;
            }

            var tag = ReadVarint();
            field = (int)(tag >> 3);
            switch (tag & 7)
            {
                case 0:
                    value = new Value(ReadVarint(), default);
                    break;
                case 1:
                    value = new Value(0, Take(8));
                    break;
                case 2:
                    value = new Value(0, Take((int)ReadVarint()));
                    break;
                case 5:
                    value = new Value(0, Take(4));
                    break;
                default:
                    throw ApiException.BadRequest($"unsupported protobuf wire type {tag & 7}");
            }

            return true;
        }

        private ReadOnlyMemory<byte> Take(int length)
        {
            if (length < 0 || position + length > data.Length)
            {
                throw ApiException.BadRequest("truncated protobuf body");
            }

            var slice = data.Slice(position, length);
            position += length;
            return slice;
        }

        private ulong ReadVarint()
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (position >= data.Length)
                {
                    throw ApiException.BadRequest("truncated protobuf varint");
                }

                var b = data.Span[position++];
                result |= (ulong)(b & 0x7f) << shift;
                if ((b & 0x80) == 0)
                {
                    return result;
                }
            }

            throw ApiException.BadRequest("malformed protobuf varint");
        }
    }
}
