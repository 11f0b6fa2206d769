using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace IstioPodNetwork.Actors.Commands;

/// <summary>
/// The operator command protocol: over one TCP connection the client sends one
/// <see cref="CommandRequest"/> as a line of JSON, the agent answers with
/// <see cref="ResponseRecord"/>s, one JSON object per line, and always ends with
/// an <see cref="EndRecord"/> unless the client hangs up first.
/// </summary>
public static class CommandProtocol
{
    /// <summary>The version both sides speak; an agent refuses any other with an <see cref="EndRecord"/>, whose shape never changes.</summary>
    public const int Version = 1;

    /// <summary>Longest request line the agent reads; a longer one is refused.</summary>
    public const int MaxRequestBytes = 64 * 1024;

    public static JsonSerializerOptions Json { get; } = CreateJsonOptions();

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Json);

    private static JsonSerializerOptions CreateJsonOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            WriteIndented = false,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        options.Converters.Add(new UtcTimestampConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>Timestamps always in UTC with millisecond precision, so text output sorts and greps the same everywhere.</summary>
    private sealed class UtcTimestampConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture);

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
    }
}

/// <summary>What the client asks: the command line after the endpoint and the client's own options.</summary>
public sealed record CommandRequest(int Protocol, ImmutableArray<string> Args);

/// <summary>One line of the agent's answer.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(TableRecord), "table")]
[JsonDerivedType(typeof(ObjectRecord), "object")]
[JsonDerivedType(typeof(EventRecord), "event")]
[JsonDerivedType(typeof(MessageRecord), "message")]
[JsonDerivedType(typeof(NoticeRecord), "notice")]
[JsonDerivedType(typeof(EndRecord), "end")]
public abstract record ResponseRecord;

/// <summary>Items of one kind: one row per item, <paramref name="Columns"/> naming the row properties in display order, then a summary line.</summary>
public sealed record TableRecord(string Name, ImmutableArray<string> Columns, ImmutableArray<JsonElement> Rows, string Summary) : ResponseRecord
{
    public static TableRecord Of<TRow>(string name, IEnumerable<TRow> rows, string summary) => new(
        name,
        [.. CommandProtocol.Json.GetTypeInfo(typeof(TRow)).Properties.Select(p => p.Name)],
        [.. rows.Select(row => JsonSerializer.SerializeToElement(row, CommandProtocol.Json))],
        summary);
}

/// <summary>One thing described by its properties (a pod, this node's view of the cluster).</summary>
public sealed record ObjectRecord(string Name, JsonElement Value) : ResponseRecord
{
    public static ObjectRecord Of<T>(string name, T value) => new(name, JsonSerializer.SerializeToElement(value, CommandProtocol.Json));
}

/// <summary>One event of a streaming command, sent as it happens.</summary>
public sealed record EventRecord(JsonElement Value) : ResponseRecord
{
    public static EventRecord Of<T>(T value) => new(JsonSerializer.SerializeToElement(value, CommandProtocol.Json));
}

/// <summary>A sentence that is the command's result ("downing akka.tcp://…").</summary>
public sealed record MessageRecord(string Text) : ResponseRecord;

/// <summary>A remark for the person at the terminal, not part of the result (the client writes it to standard error).</summary>
public sealed record NoticeRecord(string Text) : ResponseRecord;

public enum CommandError
{
    /// <summary>Nothing was done: unknown command, bad argument, or a protocol the agent does not speak.</summary>
    [JsonStringEnumMemberName("usage")]
    Usage,

    /// <summary>The command ran and failed.</summary>
    [JsonStringEnumMemberName("failed")]
    Failed,
}

/// <summary>The last record: success, or which error and why.</summary>
public sealed record EndRecord(bool Ok, CommandError? Error = null, string? Message = null) : ResponseRecord
{
    public static EndRecord Success { get; } = new(true);

    public static EndRecord Failure(CommandError error, string message) => new(false, error, message);
}
