using System.Text.Json;
using System.Text.Json.Nodes;
using IstioPodNetwork.Actors.Commands;

namespace IstioPodNetwork.Host.Commands;

/// <summary>
/// `-o json`: events as one JSON object per line, as they happen; everything
/// else as one document at the end, a property per table or object
/// (`{"members":[…]}`), sentences under "messages".
/// </summary>
public sealed class JsonRenderer(TextWriter output) : ResponseRenderer
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly JsonObject document = [];

    public override void Write(ResponseRecord record)
    {
        switch (record)
        {
            case EventRecord e:
                output.WriteLine(e.Value.GetRawText());
                break;
            case TableRecord table:
                document[table.Name] = new JsonArray([.. table.Rows.Select(row => JsonNode.Parse(row.GetRawText()))]);
                break;
            case ObjectRecord item:
                document[item.Name] = JsonNode.Parse(item.Value.GetRawText());
                break;
            case MessageRecord message:
                ((JsonArray)(document["messages"] ??= new JsonArray())).Add(message.Text);
                break;
        }
    }

    public override void Complete()
    {
        if (document.Count > 0)
        {
            output.WriteLine(document.ToJsonString(Indented));
        }
    }
}
