using KubeAirgap.Diagnostics;
using KubeAirgap.Render.Calico;
using KubeAirgap.Tests.Render.Fixtures;
using YamlDotNet.RepresentationModel;

namespace KubeAirgap.Tests.Render;

public sealed class CalicoPatcherTests
{
    private static readonly CalicoPatch Patch = new(
        "10.244.0.0/16",
        "can-reach=10.0.0.1",
        "/opt/cni/bin",
        "/etc/cni/net.d",
        new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["cni"] = "mirror.local/calico/cni:v3.31.7@sha256:" + new string('a', 64),
            ["node"] = "mirror.local/calico/node:v3.31.7",
            ["kube-controllers"] = "mirror.local/calico/kube-controllers:v3.31.7",
        });

    [Fact]
    public void Should_set_pool_cidr_autodetection_cni_dirs_and_pinned_images_as_YAML()
    {
        // Given
        var manifest = File.ReadAllText(RenderFixture.CalicoManifest);

        // When
        var patched = CalicoPatcher.Patch(manifest, Patch, "calico.yaml");

        // Then: same documents, in order
        var before = Load(manifest);
        var after = Load(patched);
        Assert.Equal(before.Select(Kind), after.Select(Kind));

        var node = after.Single(d => Kind(d) == "DaemonSet");
        var podSpec = Map(Map(Map(node, "spec"), "template"), "spec");
        var calicoNode = Seq(podSpec, "containers").OfType<YamlMappingNode>().Single(c => Str(c, "name") == "calico-node");
        var env = Seq(calicoNode, "env").OfType<YamlMappingNode>().ToDictionary(e => Str(e, "name"), e => Str(e, "value"));
        Assert.Equal("10.244.0.0/16", env["CALICO_IPV4POOL_CIDR"]);
        Assert.Equal("can-reach=10.0.0.1", env["IP_AUTODETECTION_METHOD"]);
        Assert.Equal("Always", env["CALICO_IPV4POOL_IPIP"]);

        var images = after.Where(d => Kind(d) is "DaemonSet" or "Deployment")
            .SelectMany(d => new[] { "initContainers", "containers" }.SelectMany(k =>
                Map(Map(Map(d, "spec"), "template"), "spec").Children.TryGetValue(k, out var s) ? ((YamlSequenceNode)s).OfType<YamlMappingNode>() : []))
            .Select(c => Str(c, "image"))
            .ToList();
        Assert.Equal(5, images.Count);
        Assert.All(images, i => Assert.StartsWith("mirror.local/calico/", i, StringComparison.Ordinal));
        Assert.DoesNotContain("docker.io", patched, StringComparison.Ordinal);

        var volumes = Seq(podSpec, "volumes").OfType<YamlMappingNode>().ToDictionary(v => Str(v, "name"), v => Str(Map(v, "hostPath"), "path"));
        Assert.Equal("/opt/cni/bin", volumes["cni-bin-dir"]);
        Assert.Equal("/etc/cni/net.d", volumes["cni-net-dir"]);
        Assert.Equal("/lib/modules", volumes["lib-modules"]);
    }

    [Fact]
    public void Should_move_the_cni_host_directories_and_replace_an_existing_env_value()
    {
        // Given: a second patch over the already-patched manifest, with other directories
        var once = CalicoPatcher.Patch(File.ReadAllText(RenderFixture.CalicoManifest), Patch, "calico.yaml");

        // When
        var twice = CalicoPatcher.Patch(once, Patch with { PoolCidr = "10.99.0.0/16", CniBinDir = "/opt/k8s/cni" }, "calico.yaml");

        // Then: one CALICO_IPV4POOL_CIDR, with the new value; the hostPath moved
        Assert.Single(twice.Split('\n'), l => l.Contains("CALICO_IPV4POOL_CIDR", StringComparison.Ordinal));
        Assert.Contains("value: \"10.99.0.0/16\"", twice, StringComparison.Ordinal);
        Assert.Contains("path: /opt/k8s/cni", twice, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_an_image_that_no_pin_covers()
    {
        var manifest = File.ReadAllText(RenderFixture.CalicoManifest).Replace("docker.io/calico/kube-controllers:v3.31.7", "docker.io/calico/typha:v3.31.7", StringComparison.Ordinal);
        var error = Assert.Throws<InputException>(() => CalicoPatcher.Patch(manifest, Patch, "calico.yaml"));
        Assert.Contains("docker.io/calico/typha:v3.31.7", error.Message, StringComparison.Ordinal);
        Assert.Contains("Deployment calico-kube-controllers", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_file_that_is_not_calicos_manifest()
    {
        var error = Assert.Throws<InputException>(() => CalicoPatcher.Patch("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n", Patch, "staged.yaml"));
        Assert.Contains("staged.yaml", error.Message, StringComparison.Ordinal);
        Assert.Contains("calico-node", error.Message, StringComparison.Ordinal);
    }

    private static List<YamlMappingNode> Load(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    private static string Kind(YamlMappingNode d) => Str(d, "kind");

    private static YamlMappingNode Map(YamlMappingNode m, string key) => (YamlMappingNode)m.Children[key];

    private static YamlSequenceNode Seq(YamlMappingNode m, string key) => (YamlSequenceNode)m.Children[key];

    private static string Str(YamlMappingNode m, string key) => m.Children.TryGetValue(key, out var n) ? ((YamlScalarNode)n).Value ?? string.Empty : string.Empty;
}
