using KubeAirgap.Cluster;
using KubeAirgap.ImageRefs;
using KubeAirgap.Images.Completeness;
using KubeAirgap.Layout;
using KubeAirgap.Pki;
using KubeAirgap.Render;
using KubeAirgap.Tests.Images.Fixtures;
using KubeAirgap.Tests.Render.Fixtures;
using KubeAirgap.Tests.Support;
using Tomlyn;
using Tomlyn.Model;
using YamlDotNet.RepresentationModel;

namespace KubeAirgap.Tests.Render;

/// <summary>Issue 14's defaults on a typical host: DNS, kubelet's root dir and resolv.conf, certificate rotation, runtime egress.</summary>
public sealed class NodeDefaultsTests
{
    private static ClusterSpec Shipped => RenderFixture.ShippedCluster;

    [Fact]
    public void Should_forward_to_the_site_dns_servers_when_upstreams_are_given()
    {
        // Given
        var spec = Shipped with { Dns = new DnsSpec { Upstreams = ["10.20.0.53", "10.20.1.53"] } };

        // When
        var corefile = Corefile(spec);

        // Then: forward to the configured servers only, never to a resolv.conf (a 127.0.0.53 stub there is a loop)
        Assert.Contains("forward . 10.20.0.53 10.20.1.53 {", corefile, StringComparison.Ordinal);
        Assert.DoesNotContain(Directives(corefile), d => d.Contains("resolv.conf", StringComparison.Ordinal));
        Assert.Contains(".:53 {", corefile, StringComparison.Ordinal);
        Assert.Contains("fallthrough in-addr.arpa ip6.arpa", corefile, StringComparison.Ordinal);
        Assert.Contains("loop", Directives(corefile));
    }

    [Fact]
    public void Should_serve_only_the_cluster_domain_without_upstreams()
    {
        // When: the shipped inventory (dns.upstreams: [])
        var corefile = Corefile(Shipped);

        // Then: no forward (CoreDNS exits with "no nameservers found" on a host without any), no loop plugin, and a
        // server block for the cluster and reverse zones only, so other names are refused at once
        var directives = Directives(corefile);
        Assert.DoesNotContain(directives, d => d.StartsWith("forward", StringComparison.Ordinal));
        Assert.DoesNotContain("loop", directives);
        Assert.DoesNotContain(".:53 {", directives);
        Assert.Contains("cluster.local:53 in-addr.arpa:53 ip6.arpa:53 {", directives);
        Assert.DoesNotContain(directives, d => d.StartsWith("fallthrough", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_give_kubelet_the_managed_resolv_conf_and_its_default_root_dir()
    {
        // When
        var files = RenderFixture.Render(Shipped, RenderFixture.ShippedPins, Shipped.Nodes[0]);

        // Then: resolvConf is the path the installer points at the host's real servers (not the 127.0.0.53 stub)
        Assert.Contains($"resolvConf: {NodeLayout.KubeletResolvConf}\n", files.Content("var/lib/kubelet/config.yaml"), StringComparison.Ordinal);
        Assert.Equal("/etc/kubernetes/resolv.conf", NodeLayout.KubeletResolvConf);

        // and kubelet's root dir is its default, where CSI drivers and device plugins look
        Assert.Contains("--root-dir=/var/lib/kubelet \\", files.Content("etc/systemd/system/kubelet.service"), StringComparison.Ordinal);
        Assert.Equal("/var/lib/kubelet", new NodeLayout(Shipped).KubeletRootDir);
    }

    [Fact]
    public void Should_use_the_inventory_kubelet_dir_when_set()
    {
        var spec = Shipped with { Paths = Shipped.Paths with { KubeletDir = "/srv/kubelet" } };

        var unit = RenderFixture.Render(spec, RenderFixture.ShippedPins, spec.Nodes[0]).Content("etc/systemd/system/kubelet.service");

        Assert.Contains("--root-dir=/srv/kubelet \\", unit, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_let_nodes_renew_their_own_client_certificates_as_kubeadm_does()
    {
        // When
        var files = RenderFixture.Render(Shipped, RenderFixture.ShippedPins, Shipped.Nodes[0]);

        // Then: kubeadm's binding of the selfnodeclient role to the group in every kubelet client certificate
        var bindings = files.Where(f => f.Path.StartsWith("addons/", StringComparison.Ordinal))
            .SelectMany(f => Documents(f.Content))
            .Where(d => d["kind"].ToString() == "ClusterRoleBinding")
            .ToList();
        var rotation = Assert.Single(bindings, b => ((YamlMappingNode)b["roleRef"])["name"].ToString() == "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient");
        Assert.Equal("kubeadm:node-autoapprove-certificate-rotation", ((YamlMappingNode)rotation["metadata"])["name"].ToString());
        var subject = (YamlMappingNode)Assert.Single(((YamlSequenceNode)rotation["subjects"]).Children);
        Assert.Equal("Group", subject["kind"].ToString());
        Assert.Equal(PkiIdentities.NodesGroup, subject["name"].ToString());
        Assert.Contains("rotateCertificates: true", files.Content("var/lib/kubelet/config.yaml"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("shipped", "1.36.3", "io.containerd.cri.v1.images")]
    [InlineData("debian", "1.35.7", "io.containerd.grpc.v1.cri")]
    public void Should_point_containerd_config_path_at_the_rendered_hosts_directory(string pinsName, string version, string plugin)
    {
        // Given
        var pins = pinsName == "shipped" ? RenderFixture.ShippedPins : RenderFixture.DebianPins;
        var spec = Shipped with { KubernetesVersion = version };

        // When
        var files = RenderFixture.Render(spec, pins, spec.Nodes[0]);

        // Then: config_path of the version's CRI image plugin is the folder that holds _default/hosts.toml
        var model = TomlSerializer.Deserialize<TomlTable>(files.Content("etc/containerd/config.toml"))!;
        var registry = (TomlTable)((TomlTable)((TomlTable)model["plugins"])[plugin])["registry"];
        Assert.Equal(NodeLayout.ContainerdCertsDir, registry["config_path"]);
        Assert.Equal($"{NodeLayout.ContainerdCertsDir}/_default/hosts.toml", "/" + FileCatalog.ContainerdDefaultHosts);
        var hosts = TomlSerializer.Deserialize<TomlTable>(files.Content(FileCatalog.ContainerdDefaultHosts))!;
        Assert.Equal(new[] { "push" }, ((TomlArray)hosts["capabilities"]).Cast<string>());
    }

    [Fact]
    public void Should_make_containerd_fail_at_once_naming_an_image_that_is_not_on_the_node()
    {
        // Given: Debian's containerd with the rendered hosts directory (ctr reads it the way CRI does, through config_path's resolver)
        using var temp = new TempDirectory("kag-hosts");
        var files = RenderFixture.Render(Shipped, RenderFixture.ShippedPins, Shipped.Nodes[0]);
        TreeWriter.Write(temp.Combine("tree"), files);
        var hostsDir = temp.Combine("tree", "etc", "containerd", "certs.d");
        using var containerd = new TestContainerd();

        foreach (var image in new[] { "registry.k8s.io/not-in-the-bundle:1.0", "docker.io/library/busybox:latest", "quay.io/calico/node:v3.31.7" })
        {
            // When: something asks for an image the node does not have
            var pull = containerd.Ctr("images", "pull", "--hosts-dir", hostsDir, image);

            // Then: it fails without asking any registry, and says which image
            Assert.NotEqual(0, pull.ExitCode);
            Assert.Contains(image, pull.Output, StringComparison.Ordinal);
            Assert.Contains("no resolve hosts", pull.Output, StringComparison.Ordinal);
        }

        // and without the rendered file containerd would go out to the registry (the check can tell the difference)
        var open = containerd.Ctr("images", "pull", "--hosts-dir", temp.Combine("empty"), "127.0.0.1:1/x:1");
        Assert.DoesNotContain("no resolve hosts", open.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_list_the_images_the_containerd_hosts_file_does_not_name()
    {
        // the hosts file is TOML, not an image use: the completeness scanner must not mistake it for one
        using var temp = new TempDirectory("kag-hosts-scan");
        // into a folder of the temp dir: TreeWriter keeps its list of rendered files beside the tree, not in it
        var tree = temp.Combine("node");
        TreeWriter.Write(tree, RenderFixture.Render(Shipped, RenderFixture.ShippedPins, Shipped.Nodes[0]));

        var uses = ImageUseScanner.Scan(tree);

        Assert.DoesNotContain(uses, u => u.File.EndsWith("hosts.toml", StringComparison.Ordinal));
    }

    /// <summary>The Corefile's lines without comments, trimmed.</summary>
    private static List<string> Directives(string corefile) =>
        corefile.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();

    private static string Corefile(ClusterSpec spec)
    {
        var coredns = RenderFixture.Render(spec, RenderFixture.ShippedPins, spec.Nodes[0]).Content("addons/coredns.yaml");
        var configMap = Documents(coredns).Single(d => d["kind"].ToString() == "ConfigMap");
        return ((YamlMappingNode)configMap["data"])["Corefile"].ToString();
    }

    private static IEnumerable<YamlMappingNode> Documents(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Select(d => (YamlMappingNode)d.RootNode);
    }
}
