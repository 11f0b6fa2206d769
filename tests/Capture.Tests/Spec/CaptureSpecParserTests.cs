using System.Collections.Immutable;
using IstioPodNetwork.Capture.Spec;
using IstioPodNetwork.Capture.Tests.Infrastructure;

namespace IstioPodNetwork.Capture.Tests.Spec;

public sealed class CaptureSpecParserTests
{
    [Fact]
    public void A_pod_without_annotations_gets_istio_defaults()
    {
        var spec = Pods.Spec(Pods.Input());

        Assert.Equal(InterceptionMode.Redirect, spec.Mode);
        Assert.Equal((15001, 15006, 15008), ((int)spec.OutboundCapturePort, (int)spec.InboundCapturePort, (int)spec.TunnelPort));
        Assert.Equal((1337u, 1337u), (spec.ProxyUid, spec.ProxyGid));
        Assert.True(spec.InboundPorts.IsAll);
        Assert.Equal([15020, 15021, 15090], spec.ExcludedInboundPorts.Select(p => (int)p));
        Assert.Equal([15020], spec.ExcludedOutboundPorts.Select(p => (int)p));
        Assert.True(spec.IncludedOutboundRanges.IsAll);
        Assert.Equal([IpFamily.IPv4], spec.Families.ToArray());
    }

    [Fact]
    public void Node_defaults_come_from_the_settings_not_constants()
    {
        var defaults = new CaptureDefaults(16001, 16006, 16008, [17000], [17001]);

        var spec = Pods.Spec(Pods.Input(), defaults);

        Assert.Equal((16001, 16006, 16008), ((int)spec.OutboundCapturePort, (int)spec.InboundCapturePort, (int)spec.TunnelPort));
        Assert.Equal([17000], spec.ExcludedInboundPorts.Select(p => (int)p));
        Assert.Equal([17001], spec.ExcludedOutboundPorts.Select(p => (int)p));
    }

    [Fact]
    public void User_inbound_excludes_come_first_and_the_always_excluded_ports_are_appended_once()
    {
        var spec = Pods.Spec(Pods.Input([Pods.Annotation(CaptureAnnotations.ExcludeInboundPorts, " 3333, 15021 ,4444")]));

        Assert.Equal([3333, 15021, 4444, 15020, 15090], spec.ExcludedInboundPorts.Select(p => (int)p));
    }

    [Fact]
    public void An_excludeOutboundPorts_annotation_replaces_the_default_15020()
    {
        var spec = Pods.Spec(Pods.Input([Pods.Annotation(CaptureAnnotations.ExcludeOutboundPorts, "5555,6666")]));

        Assert.Equal([5555, 6666], spec.ExcludedOutboundPorts.Select(p => (int)p));
    }

    [Fact]
    public void Ranges_are_split_by_family_and_masked_like_iptables_prints_them()
    {
        var spec = Pods.Spec(Pods.Input([Pods.Annotation(CaptureAnnotations.IncludeOutboundIPRanges, "10.1.2.3/8,fd00:1::5/64")]));

        Assert.Equal(["10.0.0.0/8", "fd00:1::/64"], spec.IncludedOutboundRanges.Ranges.Select(r => r.ToString()));
    }

    [Fact]
    public void An_empty_include_list_captures_nothing_in_that_direction()
    {
        var spec = Pods.Spec(Pods.Input([
            Pods.Annotation(CaptureAnnotations.IncludeInboundPorts, ""),
            Pods.Annotation(CaptureAnnotations.IncludeOutboundIPRanges, "")]));

        Assert.True(spec.InboundPorts.IsNone);
        Assert.False(spec.IncludedOutboundRanges.IsAll);
        Assert.Empty(spec.IncludedOutboundRanges.Ranges);
    }

    [Theory]
    [InlineData(null, null, 1337u, 1337u)]
    [InlineData(0L, 0L, 1337u, 1337u)]
    [InlineData(1000670000L, 1000670001L, 1000670000u, 1000670001u)]
    [InlineData(2000L, null, 2000u, 1337u)]
    public void The_proxy_uid_and_gid_come_from_runAsUser_and_runAsGroup_and_zero_means_1337(long? user, long? group, uint uid, uint gid)
    {
        var spec = Pods.Spec(Pods.Input(runAsUser: user, runAsGroup: group));

        Assert.Equal((uid, gid), (spec.ProxyUid, spec.ProxyGid));
    }

    [Fact]
    public void The_original_projects_envoy_port_annotation_sets_the_outbound_capture_port()
    {
        Assert.Equal(16001, Pods.Spec(Pods.Input([Pods.Annotation(CaptureAnnotations.EnvoyPort, "16001")])).OutboundCapturePort);
    }

    [Fact]
    public void The_deprecated_kubevirtInterfaces_is_read_only_without_reroute_virtual_interfaces()
    {
        var old = Pods.Spec(Pods.Input([Pods.Annotation(CaptureAnnotations.KubevirtInterfaces, "net1")]));
        var both = Pods.Spec(Pods.Input([Pods.Annotation(CaptureAnnotations.KubevirtInterfaces, "net1"), Pods.Annotation(CaptureAnnotations.RerouteVirtualInterfaces, "net2")]));

        Assert.Equal(["net1"], old.RerouteVirtualInterfaces.ToArray());
        Assert.Equal(["net2"], both.RerouteVirtualInterfaces.ToArray());
    }

    [Fact]
    public void DNS_capture_and_invalid_drop_come_from_the_proxy_environment()
    {
        var spec = Pods.Spec(Pods.Input(environment: [Pods.Annotation("ISTIO_META_DNS_CAPTURE", "True"), Pods.Annotation("INVALID_DROP", "1")]));

        Assert.True(spec.CaptureDns);
        Assert.True(spec.DropInvalid);
    }

    [Fact]
    public void An_IPv6_pod_address_adds_the_IPv6_family()
    {
        Assert.Equal([IpFamily.IPv4, IpFamily.IPv6], Pods.Spec(Pods.Input(ips: ["10.1.1.2", "fd00:1::2"])).Families.ToArray());
    }

    [Theory]
    [InlineData(CaptureAnnotations.InterceptionMode, "redirect", "REDIRECT or TPROXY")]
    [InlineData(CaptureAnnotations.IncludeInboundPorts, "80,http", "\"*\" or a comma-separated list of ports (0-65535)")]
    [InlineData(CaptureAnnotations.ExcludeInboundPorts, "*", "a comma-separated list of ports (0-65535) (\"*\" is not allowed here)")]
    [InlineData(CaptureAnnotations.ExcludeOutboundPorts, "65536", "a comma-separated list of ports (0-65535)")]
    [InlineData(CaptureAnnotations.IncludeOutboundPorts, "1,,2", "a comma-separated list of ports (0-65535)")]
    [InlineData(CaptureAnnotations.IncludeOutboundIPRanges, "10.0.0.0/33", "\"*\" or a comma-separated list of CIDRs (such as 10.0.0.0/8 or fd00::/8)")]
    [InlineData(CaptureAnnotations.ExcludeOutboundIPRanges, "*", "a comma-separated list of CIDRs (such as 10.0.0.0/8 or fd00::/8) (\"*\" is not allowed here)")]
    [InlineData(CaptureAnnotations.ExcludeOutboundIPRanges, "010.0.0.0/8", "a comma-separated list of CIDRs (such as 10.0.0.0/8 or fd00::/8)")]
    [InlineData(CaptureAnnotations.ExcludeInterfaces, "eth0,0bad", "a comma-separated list of interface names (a letter, then letters, digits, '_', '.' or '-'; at most 15 characters)")]
    [InlineData(CaptureAnnotations.EnvoyPort, "0", "a port number from 1 to 65535")]
    public void A_bad_annotation_is_one_error_naming_the_annotation_the_value_and_what_was_expected(string annotation, string value, string expected)
    {
        var result = CaptureSpecParser.Parse(Pods.Input([Pods.Annotation(annotation, value)]), CaptureDefaults.Istio);

        var error = Assert.Single(Assert.IsType<CaptureParseResult.Rejected>(result).Errors);
        Assert.Equal(new AnnotationError(annotation, value, expected), error);
        Assert.Equal($"annotation {annotation}: \"{value}\" is not {expected}", error.ToString());
    }

    [Fact]
    public void Every_bad_input_is_reported_not_just_the_first()
    {
        var result = CaptureSpecParser.Parse(
            Pods.Input(
                [Pods.Annotation(CaptureAnnotations.InterceptionMode, "NONE"), Pods.Annotation(CaptureAnnotations.IncludeInboundPorts, "x")],
                runAsUser: -5,
                environment: [Pods.Annotation("INVALID_DROP", "yes")]),
            CaptureDefaults.Istio);

        var errors = Assert.IsType<CaptureParseResult.Rejected>(result).Errors;
        Assert.Equal(
            [CaptureAnnotations.InterceptionMode, CaptureAnnotations.IncludeInboundPorts, CaptureAnnotations.ProxyRunAsUser, CaptureAnnotations.InvalidDropEnv],
            errors.Select(e => e.Annotation));
        Assert.Equal("istio-proxy env INVALID_DROP: \"yes\" is not a boolean (true, false, 1, 0, t, f)", errors[3].ToString());
    }

    [Fact]
    public void A_pod_without_an_istio_proxy_container_gets_the_default_proxy_identity()
    {
        var input = Pods.Input() with { Proxy = null, Annotations = ImmutableDictionary<string, string>.Empty };

        Assert.Equal(1337u, Pods.Spec(input).ProxyUid);
    }
}
