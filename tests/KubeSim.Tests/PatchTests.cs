using System.Text.Json.Nodes;
using IstioPodNetwork.KubeSim.Patching;

namespace IstioPodNetwork.KubeSim.Tests;

/// <summary>Strategic merge patch as kubectl sends it for built-in kinds; JSON patch and merge patch for contrast.</summary>
public sealed class PatchTests
{
    private const string Deployment = """
        {"metadata":{"name":"web","finalizers":["a","b"]},
         "spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%"}},
                 "template":{"spec":{
                   "containers":[
                     {"name":"web","image":"nginx:1.27","ports":[{"containerPort":80,"name":"http"},{"containerPort":443,"name":"https"}],
                      "env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"args":["--x","--y"]},
                     {"name":"sidecar","image":"envoy:1"}],
                   "volumes":[{"name":"tmp","emptyDir":{}}]}}}}
        """;

    [Fact]
    public void Containers_merge_by_name_and_ports_by_containerPort_without_losing_siblings()
    {
        var result = Apply(Deployment, """{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.28","ports":[{"containerPort":80,"name":"web"}]}]}}}}""");

        var containers = Containers(result);
        Assert.Equal(["web", "sidecar"], containers.Select(c => c.Str("name")).Select(s => s ?? "<null>").ToArray());
        Assert.Equal("nginx:1.28", containers[0].Str("image"));
        Assert.Equal(["80:web", "443:https"], containers[0]!["ports"]!.AsArray().Select(p => $"{p.Long("containerPort")}:{p.Str("name")}").Select(s => s ?? "<null>").ToArray());
        Assert.Equal(["--x", "--y"], containers[0]!["args"]!.AsArray().Select(a => a.Text()).Select(s => s ?? "<null>").ToArray());
    }

    [Fact]
    public void SetElementOrder_reorders_the_list_and_is_never_stored()
    {
        var result = Apply(Deployment, """
            {"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"sidecar"},{"name":"web"}],
              "containers":[{"name":"web","$setElementOrder/env":[{"name":"B"},{"name":"A"}],"env":[{"name":"A","value":"9"}]}]}}}}
            """);

        var containers = Containers(result);
        Assert.Equal(["sidecar", "web"], containers.Select(c => c.Str("name")).Select(s => s ?? "<null>").ToArray());
        Assert.Equal(["B=2", "A=9"], containers[1]!["env"]!.AsArray().Select(e => $"{e.Str("name")}={e.Str("value")}").Select(s => s ?? "<null>").ToArray());
        Assert.DoesNotContain("$setElementOrder", result.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Patch_delete_in_a_list_removes_the_element_with_that_merge_key()
    {
        var result = Apply(Deployment, """{"spec":{"template":{"spec":{"containers":[{"name":"web","ports":[{"containerPort":443,"$patch":"delete"}]},{"name":"sidecar","$patch":"delete"}]}}}}""");

        var web = Assert.Single(Containers(result))!;
        Assert.Equal(80, Assert.Single(web["ports"]!.AsArray()).Long("containerPort"));
        Assert.DoesNotContain("$patch", result.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Patch_replace_replaces_a_whole_list_or_map_instead_of_merging()
    {
        var list = Apply(Deployment, """{"spec":{"template":{"spec":{"containers":[{"name":"only","image":"busybox"},{"$patch":"replace"}]}}}}""");
        var map = Apply(Deployment, """{"spec":{"strategy":{"$patch":"replace","type":"Recreate"}}}""");

        Assert.Equal(["only"], Containers(list).Select(c => c.Str("name")).Select(s => s ?? "<null>").ToArray());
        Assert.Equal("""{"type":"Recreate"}""", map.At("spec", "strategy")!.ToJsonString());
    }

    [Fact]
    public void DeleteFromPrimitiveList_removes_values_and_scalar_sets_merge_as_unions()
    {
        var result = Apply(Deployment, """{"metadata":{"$deleteFromPrimitiveList/finalizers":["a"],"finalizers":["b","c"]}}""");

        Assert.Equal(["b", "c"], result.At("metadata", "finalizers")!.AsArray().Select(f => f.Text()).Select(s => s ?? "<null>").ToArray());
    }

    [Fact]
    public void RetainKeys_clears_the_fields_it_does_not_list()
    {
        var result = Apply(Deployment, """{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate","rollingUpdate":null}}}""");

        Assert.Equal("""{"type":"Recreate"}""", result.At("spec", "strategy")!.ToJsonString());
    }

    [Fact]
    public void Lists_without_a_patch_strategy_are_replaced_and_null_deletes_a_field()
    {
        var result = Apply(Deployment, """{"spec":{"template":{"spec":{"containers":[{"name":"web","args":["--z"],"image":null}]}}}}""");

        var web = Containers(result)[0]!;
        Assert.Equal(["--z"], web["args"]!.AsArray().Select(a => a.Text()).Select(s => s ?? "<null>").ToArray());
        Assert.Null(web["image"]);
    }

    [Fact]
    public void A_merge_patch_replaces_lists_where_a_strategic_one_merges_them()
    {
        const string Patch = """{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.28"}]}}}}""";

        var merged = MergePatch.Apply(JsonNode.Parse(Deployment), JsonNode.Parse(Patch))!.AsObject();

        Assert.Null(Assert.Single(Containers(merged))!["ports"]);
        Assert.Equal(2, Containers(Apply(Deployment, Patch)).Count);
    }

    [Fact]
    public void A_JSON_patch_applies_its_operations_in_order_and_a_failed_test_is_422()
    {
        var obj = JsonNode.Parse(Deployment)!.AsObject();
        var patched = JsonPatch.Apply(obj, JsonNode.Parse("""
            [{"op":"add","path":"/metadata/labels","value":{"app":"web"}},
             {"op":"replace","path":"/spec/template/spec/containers/1/image","value":"envoy:2"},
             {"op":"remove","path":"/metadata/finalizers/0"},
             {"op":"move","from":"/metadata/labels/app","path":"/metadata/labels/name"}]
            """));

        Assert.Equal("web", patched.Str("metadata", "labels", "name"));
        Assert.Equal("envoy:2", Containers(patched)[1].Str("image"));
        Assert.Equal(["b"], patched.At("metadata", "finalizers")!.AsArray().Select(f => f.Text()).Select(s => s ?? "<null>").ToArray());
        var failed = Assert.Throws<ApiException>(() => JsonPatch.Apply(patched, JsonNode.Parse("""[{"op":"test","path":"/metadata/name","value":"other"}]""")));
        Assert.Equal(422, failed.Code);
    }

    private static JsonObject Apply(string original, string patch) =>
        StrategicMergePatch.Apply(JsonNode.Parse(original)!.AsObject(), JsonNode.Parse(patch), KubeSchemas.Deployment);

    private static JsonArray Containers(JsonObject deployment) => deployment.At("spec", "template", "spec", "containers")!.AsArray();
}
