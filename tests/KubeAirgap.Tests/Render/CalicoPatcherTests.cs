using System.Security.Cryptography;
using KubeAirgap.Diagnostics;
using KubeAirgap.Render.Calico;
using KubeAirgap.Tests.Render.Fixtures;
using KubeAirgap.Tests.Support;
using YamlDotNet.RepresentationModel;
using KubeAirgap.Content;

namespace KubeAirgap.Tests.Render;

/// <summary>The patcher on Calico's real v3.31.7 manifest (tests/fixtures/upstream, the bytes pins.yaml pins).</summary>
public sealed class CalicoPatcherTests
{
    private static readonly CalicoPatch Patch = new(
        "10.244.0.0/16",
        "kubernetes-internal-ip",
        "/opt/cni/bin",
        "/etc/cni/net.d",
        new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["cni"] = "mirror.local/calico/cni:v3.31.7@sha256:" + new string('a', 64),
            ["node"] = "mirror.local/calico/node:v3.31.7",
            ["kube-controllers"] = "mirror.local/calico/kube-controllers:v3.31.7",
        })
    {
        NftablesMode = "Enabled",
    };

    private static string Upstream => File.ReadAllText(RenderFixture.CalicoManifest);

    [Fact]
    public void Should_use_the_real_upstream_manifest_whose_sha256_the_shipped_pins_carry()
    {
        // Given: the fixture's bytes and the shipped pin
        var sha = Sha256Hex.Of(File.ReadAllBytes(RenderFixture.CalicoManifest));
        var pin = RenderFixture.ShippedPins.Find("calico-manifest", "3.31.7")!.For("amd64")!;

        // Then: upstream-pins.md's sha256 of projectcalico/calico v3.31.7 manifests/calico.yaml, in both
        Assert.Equal("d6d8a489a4ed8e5b8efd8b339047b496ca657b55ee2e3618e791507b0a853e8d", sha);
        Assert.Equal(sha, pin.Sha256);
    }

    [Fact]
    public void Should_differ_from_upstream_only_in_the_intended_fields()
    {
        // When
        var patched = CalicoPatcher.Patch(Upstream, Patch, "calico.yaml");

        // Then: the same documents in the same order, and every difference is one we meant
        var before = Load(Upstream);
        var after = Load(patched);
        Assert.Equal(before.Select(Title), after.Select(Title));
        var differences = before.Zip(after).SelectMany(p => YamlDiff.Between(p.First, p.Second, Title(p.First))).Order(StringComparer.Ordinal).ToList();

        const string node = "DaemonSet calico-node: spec.template.spec";
        const string controllers = "Deployment calico-kube-controllers: spec.template.spec";
        string[] intended =
        [
            $"{controllers}.containers[calico-kube-controllers].image: quay.io/calico/kube-controllers:v3.31.7 -> mirror.local/calico/kube-controllers:v3.31.7",
            $"{node}.containers[calico-node].env[CALICO_IPV4POOL_CIDR]: (absent) -> {{name: CALICO_IPV4POOL_CIDR, value: 10.244.0.0/16}}",
            $"{node}.containers[calico-node].env[FELIX_NFTABLESMODE]: (absent) -> {{name: FELIX_NFTABLESMODE, value: Enabled}}",
            $"{node}.containers[calico-node].env[FELIX_USAGEREPORTINGENABLED]: (absent) -> {{name: FELIX_USAGEREPORTINGENABLED, value: false}}",
            $"{node}.containers[calico-node].env[IP_AUTODETECTION_METHOD]: (absent) -> {{name: IP_AUTODETECTION_METHOD, value: kubernetes-internal-ip}}",
            $"{node}.containers[calico-node].image: quay.io/calico/node:v3.31.7 -> mirror.local/calico/node:v3.31.7",
            $"{node}.initContainers[install-cni].image: quay.io/calico/cni:v3.31.7 -> mirror.local/calico/cni:v3.31.7@sha256:{new string('a', 64)}",
            $"{node}.initContainers[ebpf-bootstrap].image: quay.io/calico/node:v3.31.7 -> mirror.local/calico/node:v3.31.7",
            $"{node}.initContainers[upgrade-ipam].image: quay.io/calico/cni:v3.31.7 -> mirror.local/calico/cni:v3.31.7@sha256:{new string('a', 64)}",
        ];
        Assert.Equal(intended.Order(StringComparer.Ordinal), differences);
    }

    [Fact]
    public void Should_see_a_difference_the_patch_did_not_intend()
    {
        // Given: a patched manifest with one more change (the diff itself must be able to fail)
        var patched = CalicoPatcher.Patch(Upstream, Patch, "calico.yaml").Replace("value: \"k8s,bgp\"", "value: \"k8s\"", StringComparison.Ordinal);

        // When
        var differences = Load(Upstream).Zip(Load(patched)).SelectMany(p => YamlDiff.Between(p.First, p.Second, Title(p.First))).ToList();

        // Then
        Assert.Contains("DaemonSet calico-node: spec.template.spec.containers[calico-node].env[CLUSTER_TYPE].value: k8s,bgp -> k8s", differences);
    }

    [Theory]
    [InlineData("nftables", "Enabled")]
    [InlineData("iptables", "Disabled")]
    [InlineData("ipvs", "Disabled")]
    public void Should_match_felix_nftables_mode_to_kube_proxy_mode_and_turn_usage_reporting_off(string proxyMode, string felixMode)
    {
        // Given: the shipped cluster in this proxy mode
        var spec = RenderFixture.ShippedCluster with { Network = RenderFixture.ShippedCluster.Network with { ProxyMode = proxyMode } };

        // When: the control-plane node renders Calico
        var calico = RenderFixture.Render(spec, RenderFixture.ShippedPins, spec.Nodes[0]).Content("addons/calico.yaml");

        // Then
        var env = CalicoNodeEnv(calico);
        Assert.Equal(felixMode, env["FELIX_NFTABLESMODE"]);
        Assert.Equal("false", env["FELIX_USAGEREPORTINGENABLED"]);
        Assert.Equal("kubernetes-internal-ip", env["IP_AUTODETECTION_METHOD"]);
        Assert.Equal(spec.Network.PodCidr, env["CALICO_IPV4POOL_CIDR"]);
    }

    [Fact]
    public void Should_replace_an_existing_env_value_when_patched_twice()
    {
        // Given: a second patch over the already-patched manifest, with other values
        var once = CalicoPatcher.Patch(Upstream, Patch, "calico.yaml");

        // When
        var twice = CalicoPatcher.Patch(once, Patch with { PoolCidr = "10.99.0.0/16", CniBinDir = "/opt/k8s/cni", NftablesMode = "Disabled" }, "calico.yaml");

        // Then: one entry per variable, with the new values; the hostPath moved
        Assert.Single(twice.Split('\n'), l => l.Contains("CALICO_IPV4POOL_CIDR", StringComparison.Ordinal));
        Assert.Single(twice.Split('\n'), l => l.Contains("FELIX_NFTABLESMODE", StringComparison.Ordinal));
        var env = CalicoNodeEnv(twice);
        Assert.Equal("10.99.0.0/16", env["CALICO_IPV4POOL_CIDR"]);
        Assert.Equal("Disabled", env["FELIX_NFTABLESMODE"]);
        Assert.Contains("path: /opt/k8s/cni", twice, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_an_image_that_no_pin_covers()
    {
        var manifest = Upstream.Replace("quay.io/calico/kube-controllers:v3.31.7", "quay.io/calico/typha:v3.31.7", StringComparison.Ordinal);
        var error = Assert.Throws<InputException>(() => CalicoPatcher.Patch(manifest, Patch, "calico.yaml"));
        Assert.Contains("quay.io/calico/typha:v3.31.7", error.Message, StringComparison.Ordinal);
        Assert.Contains("Deployment calico-kube-controllers", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_file_that_is_not_calicos_manifest()
    {
        var error = Assert.Throws<InputException>(() => CalicoPatcher.Patch("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n", Patch, "staged.yaml"));
        Assert.Contains("staged.yaml", error.Message, StringComparison.Ordinal);
        Assert.Contains("calico-node", error.Message, StringComparison.Ordinal);
    }

    private static Dictionary<string, string> CalicoNodeEnv(string manifest)
    {
        var node = Load(manifest).Single(d => Title(d) == "DaemonSet calico-node");
        var podSpec = (YamlMappingNode)((YamlMappingNode)((YamlMappingNode)node["spec"])["template"])["spec"];
        var container = ((YamlSequenceNode)podSpec["containers"]).OfType<YamlMappingNode>().Single(c => c["name"].ToString() == "calico-node");
        return ((YamlSequenceNode)container["env"]).OfType<YamlMappingNode>()
            .Where(e => e.Children.ContainsKey("value"))
            .ToDictionary(e => e["name"].ToString(), e => e["value"].ToString(), StringComparer.Ordinal);
    }

    private static List<YamlMappingNode> Load(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    private static string Title(YamlMappingNode d) =>
        $"{d["kind"]} {((YamlMappingNode)d["metadata"])["name"]}";
}
