using System.Text.Json;
using IstioPodNetwork.Actors.Commands;
using IstioPodNetwork.Host.Commands;

namespace IstioPodNetwork.Host.Tests.Commands;

public sealed class RendererTests
{
    private static readonly Member[] Members =
    [
        new("akka.tcp://ipnc@10.1.0.1:4053", "node-a", "up", ["agent"], null),
        new("akka.tcp://ipnc@10.1.0.22:4053", null, "joining", [], "network namespace not found within 30 s:\nretrying"),
    ];

    [Fact]
    public void A_table_is_aligned_columns_under_an_upper_case_header_then_its_summary_with_a_dash_for_nothing()
    {
        var text = RenderText(TableRecord.Of("members", Members, "Count: 2 members"));

        Assert.Equal(
            """
            ADDRESS                         NODE    STATUS   ROLES  LAST ERROR
            akka.tcp://ipnc@10.1.0.1:4053   node-a  up       agent  -
            akka.tcp://ipnc@10.1.0.22:4053  -       joining  -      network namespace not found within 30 s: retrying
            Count: 2 members

            """,
            text);
    }

    [Fact]
    public void Long_lines_are_never_wrapped_or_cut_and_carry_no_escape_codes()
    {
        var message = string.Join(' ', Enumerable.Repeat("0123456789", 30));
        var text = RenderText(TableRecord.Of("lines", [new Line(1, message)], "1 line"));

        var row = text.Split('\n')[1];
        Assert.Equal("1".PadRight("NUMBER  ".Length) + message, row);
        Assert.DoesNotContain('\u001b', text);
    }

    [Fact]
    public void An_empty_table_is_only_its_summary()
    {
        Assert.Equal("0 pods\n", RenderText(TableRecord.Of("pods", Array.Empty<Member>(), "0 pods")));
    }

    [Fact]
    public void An_object_is_aligned_key_value_lines_with_multi_line_text_indented_below_its_key()
    {
        var text = RenderText(ObjectRecord.Of("pod", new Pod("web", new Dictionary<string, int> { ["up"] = 2, ["joining"] = 1 }, "*nat\nCOMMIT\n")));

        Assert.Equal(
            """
            name:           web
            by status:      up=2, joining=1
            rules in force:
              *nat
              COMMIT

            """,
            text);
    }

    [Fact]
    public void Blocks_are_separated_by_a_blank_line_and_events_are_one_line_each()
    {
        var text = RenderText(
            new MessageRecord("downing akka.tcp://ipnc@10.1.0.1:4053"),
            TableRecord.Of("pods", Array.Empty<Member>(), "0 pods"),
            EventRecord.Of(new Line(1, "member-up")),
            EventRecord.Of(new Line(2, "member-left")));

        Assert.Equal("downing akka.tcp://ipnc@10.1.0.1:4053\n\n0 pods\n1  member-up\n2  member-left\n", text);
    }

    [Fact]
    public void Json_is_one_document_with_a_property_per_table_and_object_and_events_are_one_line_each_as_they_come()
    {
        using var output = new StringWriter { NewLine = "\n" };
        var renderer = new JsonRenderer(output);

        renderer.Write(EventRecord.Of(new Line(1, "member-up")));
        Assert.Equal("""{"number":1,"text":"member-up"}""" + "\n", output.ToString());

        renderer.Write(TableRecord.Of("members", Members, "Count: 2 members"));
        renderer.Write(ObjectRecord.Of("leader", new Line(3, "akka.tcp://ipnc@10.1.0.1:4053")));
        renderer.Write(new MessageRecord("done"));
        renderer.Complete();

        using var document = JsonDocument.Parse(output.ToString().Split('\n', 2)[1]);
        var members = document.RootElement.GetProperty("members");
        Assert.Equal(2, members.GetArrayLength());
        Assert.Equal("node-a", members[0].GetProperty("node").GetString());
        Assert.Equal(JsonValueKind.Null, members[1].GetProperty("node").ValueKind);
        Assert.Equal("agent", members[0].GetProperty("roles")[0].GetString());
        Assert.Equal(3, document.RootElement.GetProperty("leader").GetProperty("number").GetInt32());
        Assert.Equal("done", document.RootElement.GetProperty("messages")[0].GetString());
    }

    private static string RenderText(params ResponseRecord[] records)
    {
        using var output = new StringWriter { NewLine = "\n" };
        var renderer = new TextRenderer(output);
        foreach (var record in records)
        {
            renderer.Write(record);
        }

        renderer.Complete();
        return output.ToString();
    }

    private sealed record Member(string Address, string? Node, string Status, string[] Roles, string? LastError);

    private sealed record Line(int Number, string Text);

    private sealed record Pod(string Name, Dictionary<string, int> ByStatus, string RulesInForce);
}
