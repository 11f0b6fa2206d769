using System.Text.Json;
using IstioPodNetwork.Actors.Commands;
using Spectre.Console;

namespace IstioPodNetwork.Host.Commands;

/// <summary>
/// Text that reads well and greps well: a table is aligned columns under an
/// upper-case header, one line per item and never wrapped, then its summary; an
/// object is aligned `key: value` lines; an event is one line. No colours or
/// other escape codes, so the same text goes to a terminal, a pipe or a file.
/// </summary>
public sealed class TextRenderer(TextWriter output) : ResponseRenderer
{
    /// <summary>Wide enough that no line is ever wrapped or cut, whatever the terminal.</summary>
    private const int UnlimitedWidth = 1 << 20;

    private bool wroteBlock;

    public override void Write(ResponseRecord record)
    {
        switch (record)
        {
            case EventRecord e:
                output.WriteLine(string.Join("  ", e.Value.EnumerateObject().Select(p => Cell(p.Value))));
                return;
            case TableRecord table:
                StartBlock();
                WriteTable(table);
                return;
            case ObjectRecord item:
                StartBlock();
                WriteObject(item.Value);
                return;
            case MessageRecord message:
                StartBlock();
                output.WriteLine(message.Text);
                return;
        }
    }

    public override void Complete()
    {
    }

    /// <summary>A value on one line: "-" for nothing, lists comma-separated, objects as key=value.</summary>
    public static string Cell(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString() is { Length: > 0 } text ? OneLine(text) : "-",
        JsonValueKind.Array => value.GetArrayLength() == 0 ? "-" : string.Join(",", value.EnumerateArray().Select(Cell)),
        JsonValueKind.Object => value.EnumerateObject().Any() ? string.Join(", ", value.EnumerateObject().Select(p => $"{p.Name}={Cell(p.Value)}")) : "-",
        JsonValueKind.Null or JsonValueKind.Undefined => "-",
        _ => value.GetRawText(),
    };

    private void StartBlock()
    {
        if (wroteBlock)
        {
            output.WriteLine();
        }

        wroteBlock = true;
    }

    private void WriteTable(TableRecord record)
    {
        if (!record.Rows.IsEmpty)
        {
            var table = new Table { Border = TableBorder.None, ShowHeaders = true };
            foreach (var column in record.Columns)
            {
                table.AddColumn(new TableColumn(new Text(Naming.Words(column, ' ').ToUpperInvariant())) { NoWrap = true, Padding = new Padding(0, 0, 2, 0) });
            }

            foreach (var row in record.Rows)
            {
                table.AddRow(record.Columns.Select(c => new Text(row.TryGetProperty(c, out var value) ? Cell(value) : "-")));
            }

            var rendered = new StringWriter();
            var console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Ansi = AnsiSupport.No,
                ColorSystem = ColorSystemSupport.NoColors,
                Interactive = InteractionSupport.No,
                Out = new AnsiConsoleOutput(rendered),
            });
            console.Profile.Width = UnlimitedWidth;
            console.Write(table);
            foreach (var line in rendered.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                output.WriteLine(line.TrimEnd());
            }
        }

        output.WriteLine(record.Summary);
    }

    private void WriteObject(JsonElement item)
    {
        var properties = item.EnumerateObject().ToList();
        var width = properties.Select(p => Naming.Words(p.Name, ' ').Length).DefaultIfEmpty().Max() + 2;
        foreach (var property in properties)
        {
            var key = Naming.Words(property.Name, ' ') + ":";
            if (property.Value.ValueKind == JsonValueKind.String && property.Value.GetString()!.Contains('\n', StringComparison.Ordinal))
            {
                output.WriteLine(key);
                foreach (var line in property.Value.GetString()!.TrimEnd('\n').Split('\n'))
                {
                    output.WriteLine("  " + line.TrimEnd());
                }
            }
            else
            {
                output.WriteLine(key.PadRight(width) + Cell(property.Value));
            }
        }
    }

    private static string OneLine(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
