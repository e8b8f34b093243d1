using KubeAirgap.Pins;
using KubeAirgap.Render;
using KubeAirgap.Tests.Render.Fixtures;
using KubeAirgap.Tests.Support;
using Tomlyn;
using Tomlyn.Model;
using YamlDotNet.RepresentationModel;

namespace KubeAirgap.Tests.Render;

/// <summary>Every rendered document parses and has the apiVersion, kind and field names its component accepts.</summary>
public sealed class DocumentTests
{
    /// <summary>apiVersion/kind pairs the pinned Kubernetes versions (1.35, 1.36) serve or read.</summary>
    private static readonly HashSet<(string, string)> Accepted =
    [
        ("kubelet.config.k8s.io/v1beta1", "KubeletConfiguration"),
        ("kubeproxy.config.k8s.io/v1alpha1", "KubeProxyConfiguration"),
        ("kubescheduler.config.k8s.io/v1", "KubeSchedulerConfiguration"),
        ("audit.k8s.io/v1", "Policy"),
        ("rbac.authorization.k8s.io/v1", "ClusterRole"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
        ("v1", "ServiceAccount"),
        ("v1", "ConfigMap"),
        ("v1", "Service"),
        ("apps/v1", "Deployment"),
        ("apps/v1", "DaemonSet"),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
        ("policy/v1", "PodDisruptionBudget"),
    ];

    private static readonly Dictionary<string, string> FieldLists = new(StringComparer.Ordinal)
    {
        ["KubeletConfiguration"] = "kubelet.config.k8s.io_v1beta1_KubeletConfiguration.txt",
        ["KubeProxyConfiguration"] = "kubeproxy.config.k8s.io_v1alpha1_KubeProxyConfiguration.txt",
        ["KubeSchedulerConfiguration"] = "kubescheduler.config.k8s.io_v1_KubeSchedulerConfiguration.txt",
    };

    public static TheoryData<string, string> Releases => new()
    {
        { "shipped", "1.36.3" },
        { "shipped", "1.35.7" },
        { "debian", "1.35.7" },
    };

    [Theory]
    [MemberData(nameof(Releases))]
    public void Should_render_YAML_documents_with_accepted_apiVersion_kind_and_field_names(string pinsName, string version)
    {
        // Given
        foreach (var mode in new[] { "ipvs", "nftables", "iptables" })
        {
            var files = Render(pinsName, version, mode);

            // When / Then
            var kinds = new List<string>();
            foreach (var file in files.Where(f => f.Path.EndsWith(".yaml", StringComparison.Ordinal) && f.Path != "etc/crictl.yaml"))
            {
                var stream = new YamlStream();
                stream.Load(new StringReader(file.Content));
                Assert.NotEmpty(stream.Documents);
                foreach (var document in stream.Documents)
                {
                    var root = Assert.IsType<YamlMappingNode>(document.RootNode);
                    var apiVersion = Scalar(root, "apiVersion");
                    var kind = Scalar(root, "kind");
                    Assert.True(Accepted.Contains((apiVersion, kind)), $"{file.Path}: {apiVersion} {kind} is not an accepted apiVersion/kind");
                    kinds.Add(kind);
                    if (FieldLists.TryGetValue(kind, out var list))
                    {
                        var unknown = UnknownFields(root, LoadFieldList(list), string.Empty).ToList();
                        Assert.True(unknown.Count == 0, $"{file.Path} ({mode}): fields not in {list}: {string.Join(", ", unknown)}");
                    }
                }
            }

            Assert.Contains("KubeletConfiguration", kinds);
            Assert.Contains("KubeProxyConfiguration", kinds);
            Assert.Contains("KubeSchedulerConfiguration", kinds);
            Assert.Contains("Policy", kinds);
            Assert.Contains("DaemonSet", kinds);
        }
    }

    [Fact]
    public void Should_catch_a_misspelt_field_with_the_field_list()
    {
        // Given a kubelet config with a typo (the check itself must be able to fail)
        var stream = new YamlStream();
        stream.Load(new StringReader("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication:\n  x509:\n    clientCaFile: /x\ncgroupDriver: systemd\n"));

        // When
        var unknown = UnknownFields((YamlMappingNode)stream.Documents[0].RootNode, LoadFieldList(FieldLists["KubeletConfiguration"]), string.Empty);

        // Then
        Assert.Equal(["authentication.x509.clientCaFile"], unknown);
    }

    [Fact]
    public void Should_render_containerd_config_version_3_for_containerd_2()
    {
        // Given / When
        var toml = Render("shipped", "1.36.3", "nftables").Content("etc/containerd/config.toml");
        var model = TomlSerializer.Deserialize<TomlTable>(toml)!;

        // Then
        Assert.Equal(3L, model["version"]);
        var plugins = (TomlTable)model["plugins"];
        Assert.False(plugins.ContainsKey("io.containerd.grpc.v1.cri"));
        var images = (TomlTable)plugins["io.containerd.cri.v1.images"];
        Assert.Matches("^registry\\.k8s\\.io/pause:3\\.10\\.2@sha256:[0-9a-f]{64}$", (string)((TomlTable)images["pinned_images"])["sandbox"]); // by digest, as pinned
        var runtime = (TomlTable)plugins["io.containerd.cri.v1.runtime"];
        var runc = (TomlTable)((TomlTable)((TomlTable)runtime["containerd"])["runtimes"])["runc"];
        Assert.Equal(true, ((TomlTable)runc["options"])["SystemdCgroup"]);
        Assert.Equal("/opt/cni/bin", Assert.Single((TomlArray)((TomlTable)runtime["cni"])["bin_dirs"]));
        Assert.Equal("/etc/cni/net.d", ((TomlTable)runtime["cni"])["conf_dir"]);
    }

    [Fact]
    public void Should_render_containerd_config_version_2_that_Debian_containerd_1_6_accepts()
    {
        // Given
        var toml = Render("debian", "1.35.7", "nftables").Content("etc/containerd/config.toml");
        var model = TomlSerializer.Deserialize<TomlTable>(toml)!;
        Assert.Equal(2L, model["version"]);
        var cri = (TomlTable)((TomlTable)model["plugins"])["io.containerd.grpc.v1.cri"];
        Assert.Equal("registry.k8s.io/pause:3.10.1", cri["sandbox_image"]);
        Assert.Equal("/opt/cni/bin", ((TomlTable)cri["cni"])["bin_dir"]);
        using var temp = new TempDirectory("kag-containerd");
        var path = temp.Write("config.toml", toml);

        // When: the real containerd reads it and prints the merged configuration
        var dump = Cmd.Run("containerd", "--config", path, "config", "dump").EnsureSuccess("containerd config dump");

        // Then: our settings survived the round trip
        Assert.Contains("sandbox_image = \"registry.k8s.io/pause:3.10.1\"", dump.Stdout, StringComparison.Ordinal);
        Assert.Contains("SystemdCgroup = true", dump.Stdout, StringComparison.Ordinal);
        Assert.Contains("BinaryName = \"/opt/kube-airgap/current/bin/runc\"", dump.Stdout, StringComparison.Ordinal);
        Assert.Contains("bin_dir = \"/opt/cni/bin\"", dump.Stdout, StringComparison.Ordinal);
        Assert.Contains("root = \"/data/k8s/containerd\"", dump.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_render_crictl_config_pointing_at_containerd()
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(Render("shipped", "1.36.3", "nftables").Content("etc/crictl.yaml")));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        Assert.Equal("unix:///run/containerd/containerd.sock", Scalar(root, "runtime-endpoint"));
        Assert.Equal("unix:///run/containerd/containerd.sock", Scalar(root, "image-endpoint"));
    }

    private static IReadOnlyList<RenderedFile> Render(string pinsName, string version, string mode)
    {
        PinsFile pins = pinsName == "debian" ? RenderFixture.DebianPins : RenderFixture.ShippedPins;
        var spec = RenderFixture.Inventory(["10.0.0.1", "10.0.0.2", "10.0.0.3"], version, proxyMode: mode);
        return RenderFixture.Render(spec, pins, spec.Nodes[0]);
    }

    private static HashSet<string> LoadFieldList(string name) =>
        File.ReadAllLines(RenderFixture.FieldList(name))
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>Every key path of <paramref name="map"/> not in the list (a "path.*" entry accepts anything below it).</summary>
    private static IEnumerable<string> UnknownFields(YamlMappingNode map, HashSet<string> fields, string prefix)
    {
        foreach (var (keyNode, value) in map.Children)
        {
            var path = prefix + ((YamlScalarNode)keyNode).Value;
            if (fields.Contains(path + ".*"))
            {
                continue;
            }

            if (!fields.Contains(path))
            {
                yield return path;
                continue;
            }

            if (value is YamlMappingNode child)
            {
                foreach (var unknown in UnknownFields(child, fields, path + "."))
                {
                    yield return unknown;
                }
            }
        }
    }

    private static string Scalar(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(key, out var node) && node is YamlScalarNode { Value: { } value } ? value : string.Empty;
}
