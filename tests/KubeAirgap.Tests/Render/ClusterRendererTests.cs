using KubeAirgap.Diagnostics;
using KubeAirgap.Layout;
using KubeAirgap.Render;
using KubeAirgap.Tests.Render.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Render;

/// <summary>
/// The Render stage for a cluster (moved out of RenderTask): every node rendered, each control plane with the Calico
/// manifest of its own payload, and nothing written until all rendered.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ClusterRendererTests
{
    [Fact]
    public void Should_write_every_node_tree_with_its_own_payloads_calico_manifest_and_change_nothing_the_second_time()
    {
        // Given: two control-plane nodes of different arch, so of different payloads, each with its staged manifest
        using var temp = new TempDirectory("kag-cluster-render");
        var spec = TwoArchCluster();
        string Payload(PayloadKey key) => temp.Combine("payload", key.Name);
        foreach (var key in PayloadKey.AllOf(spec))
        {
            temp.Write($"payload/{key.Name}/{FileCatalog.CalicoOutput}", File.ReadAllText(RenderFixture.CalicoManifest));
        }

        var renderer = new ClusterRenderer(spec, RenderFixture.DebianPins, RenderFixture.Options(), Payload);

        // When
        var written = renderer.Render().Write(n => temp.Combine("nodes", n));
        var again = renderer.Render().Write(n => temp.Combine("nodes", n));

        // Then: one tree per node, as many files as rendered, every file of it new the first time and none the second
        Assert.Equal(spec.Nodes.Select(n => n.Name), written.Select(w => w.Node.Name));
        Assert.All(written, w =>
        {
            Assert.Equal(temp.Combine("nodes", w.Node.Name), w.Tree);
            Assert.Equal(w.Files.Count, w.Changed);
            Assert.True(File.Exists(Path.Combine(w.Tree, FileCatalog.CalicoOutput)), $"{w.Node.Name} has no {FileCatalog.CalicoOutput}");
        });
        Assert.All(again, w => Assert.Equal(0, w.Changed));
    }

    [Fact]
    public void Should_write_no_tree_when_one_node_fails_to_render()
    {
        // Given: the arm64 node's payload has no staged Calico manifest (Fetch did not run for it)
        using var temp = new TempDirectory("kag-cluster-render");
        var spec = TwoArchCluster();
        string Payload(PayloadKey key) => temp.Combine("payload", key.Name);
        var amd64 = PayloadKey.Of(spec.Nodes[0]);
        temp.Write($"payload/{amd64.Name}/{FileCatalog.CalicoOutput}", File.ReadAllText(RenderFixture.CalicoManifest));
        var renderer = new ClusterRenderer(spec, RenderFixture.DebianPins, RenderFixture.Options(), Payload);

        // When
        var e = Assert.Throws<InputException>(() => renderer.Render());

        // Then: the error names the missing manifest of that payload, and the first node's tree was not written either
        Assert.Contains(Path.Combine(Payload(PayloadKey.Of(spec.Nodes[1])), FileCatalog.CalicoOutput), e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Combine("nodes")));
    }

    private static KubeAirgap.Cluster.ClusterSpec TwoArchCluster()
    {
        var spec = RenderFixture.Inventory(["127.0.0.11", "127.0.0.12"]);
        return spec with { Nodes = [spec.Nodes[0], spec.Nodes[1] with { Arch = "arm64" }] };
    }
}
