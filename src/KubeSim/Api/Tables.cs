using System.Text.Json.Nodes;
using IstioPodNetwork.KubeSim.Store;

namespace IstioPodNetwork.KubeSim.Api;

/// <summary>Server-side printing: the meta.k8s.io/v1 Table kubectl asks for, with kubectl's usual columns per kind.</summary>
internal static class Tables
{
    public static bool Wanted(string? accept) => accept is not null && accept.Contains("as=Table", StringComparison.Ordinal);

    public static JsonObject Build(ResourceType type, IEnumerable<StoredObject> items, long resourceVersion, string? includeObject, bool withColumns = true)
    {
        var now = DateTimeOffset.UtcNow;
        var columns = type.Columns.Length > 0 ? type.Columns : [ResourceCatalog.AgeColumn];
        var table = new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };
        if (withColumns)
        {
            var definitions = new JsonArray(Definition("Name", "string", "name", 0, "Name must be unique within a namespace."));
            foreach (var column in columns)
            {
                definitions.Add(Definition(column.Name, column.Type, column.Format, column.Priority, column.Name));
            }

            table["columnDefinitions"] = definitions;
        }

        var rows = new JsonArray();
        foreach (var item in items)
        {
            var obj = item.ToNode();
            var cells = new JsonArray(item.Name);
            foreach (var column in columns)
            {
                cells.Add(Cell(column.Cell(obj, now)));
            }

            var row = new JsonObject { ["cells"] = cells };
            switch (includeObject)
            {
                case "None":
                    break;
                case "Object":
                    row["object"] = obj;
                    break;
                default:
                    row["object"] = new JsonObject
                    {
                        ["kind"] = "PartialObjectMetadata",
                        ["apiVersion"] = "meta.k8s.io/v1",
                        ["metadata"] = obj["metadata"]?.DeepClone(),
                    };
                    break;
            }

            rows.Add(row);
        }

        table["rows"] = rows;
        return table;
    }

    private static JsonNode? Cell(object? value) => value switch
    {
        null => null,
        string s => s,
        long n => n,
        int n => n,
        bool b => b,
        _ => value.ToString(),
    };

    private static JsonObject Definition(string name, string type, string format, int priority, string description) => new()
    {
        ["name"] = name,
        ["type"] = type,
        ["format"] = format,
        ["description"] = description,
        ["priority"] = priority,
    };
}
