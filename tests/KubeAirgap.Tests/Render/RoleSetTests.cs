using System.Formats.Tar;
using System.Text.Json.Nodes;
using System.Text;
using KubeAirgap.Bundle.Manifests;
using KubeAirgap.Bundle.Verification;
using KubeAirgap.Bundle;
using KubeAirgap.Cluster;
using KubeAirgap.ImageRefs;
using KubeAirgap.Images.Completeness;
using KubeAirgap.Images;
using KubeAirgap.Layout;
using KubeAirgap.Pki;
using KubeAirgap.Render;
using KubeAirgap.Roles;
using KubeAirgap.TestSupport.Synthetic;
using KubeAirgap.Tests.Installer;
using KubeAirgap.Tests.Pki.Fixtures;
using KubeAirgap.Tests.Render.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Render;

/// <summary>
/// Roles are independent (issue 14, point 9): 3 [etcd, control-plane] nodes and 2 [worker] nodes get real rendered
/// configs and PKI, payloads that carry the image plan of their role set, bundle, verify and install into --root trees.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class RoleSetTests
{
    /// <summary>What only kubelet and kube-proxy use: their configs, kubeconfigs, units, keys and binaries.</summary>
    private static readonly string[] KubeletOrProxyNames =
    [
        "kubelet.conf", "kube-proxy.conf", "kube-proxy.yaml", "kubelet.service", "kube-proxy.service", "kubelet.crt", "kubelet.key", "kubelet", "kube-proxy",
    ];

    private static ClusterSpec SplitCluster() => RenderFixture.Parse("""
        apiVersion: kube-airgap/v1
        cluster:
          name: split
          kubernetesVersion: 1.36.3
        images:
          extra: [registry.example.com/shop/web:1.0@sha256:1111111111111111111111111111111111111111111111111111111111111111]
        nodes:
          - {name: cp-1, ip: 127.0.21.1, arch: amd64, roles: [etcd, control-plane]}
          - {name: cp-2, ip: 127.0.21.2, arch: amd64, roles: [etcd, control-plane]}
          - {name: cp-3, ip: 127.0.21.3, arch: amd64, roles: [etcd, control-plane]}
          - {name: wk-1, ip: 127.0.21.4, arch: amd64, roles: [worker]}
          - {name: wk-2, ip: 127.0.21.5, arch: amd64, roles: [worker]}
        """);

    [Fact]
    public void Should_give_control_plane_only_nodes_the_images_their_manifests_name_and_the_extra_images()
    {
        // Given
        var spec = SplitCluster();
        using var temp = new TempDirectory("kag-roles-plan");
        var controlPlane = spec.Nodes[0];
        // into a folder of the temp dir: TreeWriter keeps its list of rendered files beside the tree, not in it
        var tree = temp.Combine("node");
        TreeWriter.Write(tree, RenderFixture.Render(spec, RenderFixture.ShippedPins, controlPlane));

        // When: the image plan of its payload
        var plan = ImagePlan.For(PayloadKey.Of(controlPlane), spec, RenderFixture.ShippedPins).Select(r => r.Canonical).ToHashSet(StringComparer.Ordinal);

        // Then: every image its own add-on manifests name is planned for it, and images.extra reaches it
        var named = ImageUseScanner.Scan(tree).Select(u => KubeAirgap.ImageRefs.ImageReference.Parse(u.Reference).Canonical).Distinct().ToList();
        Assert.NotEmpty(named);
        Assert.All(named, image => Assert.Contains(image, plan));
        Assert.Contains(KubeAirgap.ImageRefs.ImageReference.Parse(spec.Images.Extra[0]).Canonical, plan);
    }

    [Fact]
    public void Should_bundle_verify_and_install_three_control_plane_only_and_two_worker_nodes()
    {
        // Given: real rendered configs and real PKI for each node, payloads per role set with their planned images
        var spec = SplitCluster();
        // images by tag (the synthetic archives hold real images, but not upstream's digests)
        var pins = RenderFixture.ShippedPins with { Images = [.. RenderFixture.ShippedPins.Images.Select(i => i with { Digest = null })] };
        using var temp = new TempDirectory("kag-roles");
        string Tree(string node) => temp.Combine("nodes", node);
        string Payload(string key) => temp.Combine("payload", key);
        var renderer = new NodeRenderer(spec, pins, RenderFixture.Options());
        foreach (var node in spec.Nodes)
        {
            TreeWriter.Write(Tree(node.Name), renderer.Render(node));
        }

        PkiBuild.Run(new PkiEngine(spec, temp.Combine("state"), new TestClock(PkiFixture.Start), _ => { }), spec, Tree, temp.Path);
        var bundlePins = SyntheticInputs.WritePayloads(spec, pins, Payload, 64 * 1024, 4 * 1024);
        foreach (var key in PayloadKey.AllOf(spec))
        {
            SyntheticInputs.WriteImageArchive(Path.Combine(Payload(key.Name), "images", "images.oci.tar"), [.. ImagePlan.For(key, spec, pins).Select(r => r.NameWithTag)], 4 * 1024, 7, key.Arch);
        }

        // When: bundled and verified
        var request = new BundleRequest(spec, bundlePins, Payload, Tree, Repo.File("src", "installer"), temp.Combine("out"), temp.Combine("cache"), 1700000000, 1, 2, BundleSigner.Generate());
        var result = BundleBuilder.Build(request);
        var reports = BundleVerifier.Verify(temp.Combine("out"));

        // Then: every bundle verifies (each names only binaries and images it carries)
        Assert.Equal(5, reports.Count);
        Assert.All(reports, r => Assert.True(r.Problems.Count == 0, $"{r.Node}: {string.Join("\n", r.Problems)}"));

        // When: each tarball is extracted and installed into its own root
        var extracted = temp.Combine("extracted");
        Directory.CreateDirectory(extracted);
        foreach (var tarball in result.Tarballs)
        {
            Cmd.Run("tar", "-xzf", tarball.Path, "-C", extracted).EnsureSuccess("tar xzf");
        }

        foreach (var node in spec.Nodes)
        {
            using var root = new TargetRoot();
            var bundleDir = Path.Combine(extracted, BundleRequest.TopDir(spec, node));
            var install = ExtractedBundles.InstallWithoutKey(bundleDir, root, ["install", "--insecure-unsigned"]);
            Assert.True(install.ExitCode == 0, $"{node.Name}: install exited {install.ExitCode}:\n{install.Output}\n{(File.Exists(root.Log) ? File.ReadAllText(root.Log) : string.Empty)}");

            // Then: a control-plane-only node holds no kubelet or kube-proxy file; a worker holds both
            var files = Cmd.Bash("find . -type f -o -type l", root.Path).EnsureSuccess("find").Stdout
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(f => f[1..]).ToList();
            var kubeletOrProxy = files.Where(f => KubeletOrProxyNames.Contains(Path.GetFileName(f)) || f.StartsWith(NodeLayout.KubeletDir + "/", StringComparison.Ordinal)).ToList();
            if (node.Has(NodeRole.Worker))
            {
                Assert.Contains(NodeLayout.KubeletKubeconfig, files);
                Assert.Contains(NodeLayout.KubeProxyConfig, files);
                Assert.Contains(NodeLayout.KubeletConfig, files);
                Assert.Contains(NodeLayout.KubeletServingKey, files);
            }
            else
            {
                Assert.True(kubeletOrProxy.Count == 0, $"{node.Name} ({string.Join(", ", node.Roles)}) got: {string.Join(", ", kubeletOrProxy)}");
                Assert.Contains("/etc/kubernetes/addons/calico.yaml", files);
                Assert.Contains("/etc/kubernetes/pki/apiserver.crt", files);
            }

            // and the data directories of its roles only, each with the mode its component would give it
            var dataDirs = DataDirectories.Of(new NodeLayout(spec));
            foreach (var dir in dataDirs)
            {
                var path = root.Combine(dir.Path.TrimStart('/'));
                if (dataDirs.Any(d => d.Path == dir.Path && node.Has(d.Role)))
                {
                    Assert.True(Directory.Exists(path), $"{node.Name}: no {dir.Component} data directory {dir.Path}");
                    Assert.Equal((UnixFileMode)Convert.ToInt32(dir.Mode, 8), File.GetUnixFileMode(path));
                }
                else
                {
                    Assert.False(Directory.Exists(path), $"{node.Name} ({string.Join(", ", node.Roles)}) got {dir.Component}'s data directory {dir.Path}");
                }
            }
        }
    }
}
