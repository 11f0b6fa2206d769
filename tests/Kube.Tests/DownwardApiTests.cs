namespace IstioPodNetwork.Kube.Tests;

public sealed class DownwardApiTests
{
    [Fact]
    public void Annotations_are_read_with_their_quoted_values_unescaped()
    {
        const string file = "istio-pod-network-controller/initialize=\"true\"\n" +
            "pod-network-controller.istio.io/status=\"initialized\"\n" +
            "kubectl.kubernetes.io/last-applied-configuration=\"{\\\"a\\\":\\\"b\\\\\\\\c\\\"}\\n\"\n" +
            "unicode=\"caf\\u00e9\"\n";

        var annotations = DownwardApi.ParseAnnotations(file);

        Assert.Equal("true", annotations["istio-pod-network-controller/initialize"]);
        Assert.Equal("initialized", annotations[PodMarkers.StatusAnnotation]);
        Assert.Equal("{\"a\":\"b\\\\c\"}\n", annotations["kubectl.kubernetes.io/last-applied-configuration"]);
        Assert.Equal("café", annotations["unicode"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("no-equals-sign")]
    [InlineData("key=unquoted")]
    [InlineData("key=\"unterminated")]
    [InlineData("=\"no key\"")]
    public void Lines_that_are_not_key_quoted_value_are_skipped(string line)
    {
        Assert.Empty(DownwardApi.ParseAnnotations(line));
    }
}
