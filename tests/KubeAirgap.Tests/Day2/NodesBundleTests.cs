using KubeAirgap.Roles;
using KubeAirgap.TestSupport.Synthetic;
using System.Text;
using KubeAirgap.Bundle;
using KubeAirgap.Bundle.Manifests;
using KubeAirgap.Cluster;
using KubeAirgap.Day2;
using KubeAirgap.Render;
using KubeAirgap.Tests.Bundle;
using KubeAirgap.Tests.Render.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Day2;

/// <summary>
/// Adding and removing nodes through Bundle, with every node's tree rendered by the real templates (over the synthetic
/// certificates and payloads): the nodes Bundle names are exactly the ones whose tarballs it writes again; every
/// other tarball keeps its inode and mtime. The joining member's unit and layout.env, and the removal duties of the
/// first control-plane node, are read back from the tarballs.
/// </summary>
public sealed class NodesBundleTests
{
    private static readonly NodeRole[] All = [NodeRole.Etcd, NodeRole.ControlPlane, NodeRole.Worker];

    [Fact]
    public void Should_rewrite_no_existing_tarball_when_a_worker_is_added()
    {
        // Given: n01-n03 with every role, n04 a worker, bundled once
        using var world = new BundleWorld();
        var first = world.Build(world.Spec);
        var before = world.Stamps(first);

        // When
        var grown = world.Build(With(world.Spec, "n05", "127.0.1.5", NodeRole.Worker));

        // Then
        Assert.Equal(["n05"], grown.Changes.Added);
        Assert.Empty(grown.Changes.Updates);
        Assert.Equal(before, world.Stamps(grown).Where(s => before.ContainsKey(s.Key)).ToDictionary());
        Assert.Equal(4, grown.TarballsKept);
    }

    [Fact]
    public void Should_rewrite_exactly_the_tarballs_of_the_nodes_it_names_when_an_etcd_member_is_added()
    {
        // Given
        using var world = new BundleWorld();
        var first = world.Build(world.Spec);
        var before = world.Stamps(first);

        // When: an etcd-only member joins
        var grown = world.Build(With(world.Spec, "n05", "127.0.1.5", NodeRole.Etcd));

        // Then: named = rewritten, and the worker is neither
        var after = world.Stamps(grown);
        var rewritten = before.Keys.Where(n => before[n] != after[n]).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(grown.Changes.Updates.Select(u => u.Node), rewritten);
        Assert.Equal(["n01", "n02", "n03"], rewritten);
        Assert.Contains(grown.Changes.Updates[0].Reasons, r => r.StartsWith("kube-apiserver --etcd-servers", StringComparison.Ordinal) && r.EndsWith(": +n05 (127.0.1.5)", StringComparison.Ordinal));
        Assert.Equal(["n04"], grown.Changes.Unchanged);

        // and: the new member joins with existing, the founders stay new; only the joiner has KA_ETCD_JOIN
        var n05 = world.Read(grown, "n05");
        Assert.Contains("--initial-cluster-state=existing", n05["etc/systemd/system/etcd.service"], StringComparison.Ordinal);
        Assert.Contains("KA_ETCD_JOIN='https://127.0.1.1:2379,https://127.0.1.2:2379,https://127.0.1.3:2379'", n05["lib/layout.env"], StringComparison.Ordinal);
        var n01 = world.Read(grown, "n01");
        Assert.Contains("--initial-cluster-state=new", n01["etc/systemd/system/etcd.service"], StringComparison.Ordinal);
        Assert.Contains("n05=https://127.0.1.5:2380", n01["etc/systemd/system/etcd.service"], StringComparison.Ordinal);
        Assert.Contains("KA_ETCD_JOIN=''", n01["lib/layout.env"], StringComparison.Ordinal);
        Assert.Contains("\"joined\": true", File.ReadAllText(Path.Combine(world.Output, BundleRequest.ManifestName)), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_carry_the_removal_on_the_first_control_plane_node_and_drop_the_node_from_kube_nginx()
    {
        // Given: four bundled nodes; n03 (every role) leaves
        using var world = new BundleWorld();
        var first = world.Build(world.Spec);
        var before = world.Stamps(first);
        Assert.Contains("server 127.0.1.3:6443", world.Read(first, "n04")["etc/kube-nginx/kube-nginx.conf"], StringComparison.Ordinal);

        // When
        var shrunk = world.Build(world.Spec with { Nodes = world.Spec.Nodes.Where(n => n.Name != "n03").ToList() });

        // Then: n01 drains and deletes n03 and removes its member; nobody's kube-nginx lists n03 any more
        Assert.Equal(["n03"], shrunk.Changes.Removed);
        var n01 = world.Read(shrunk, "n01");
        Assert.Contains("KA_REMOVED_NODES='n03'", n01["lib/layout.env"], StringComparison.Ordinal);
        Assert.Contains("KA_REMOVED_ETCD_MEMBERS='n03=https://127.0.1.3:2380'", n01["lib/layout.env"], StringComparison.Ordinal);
        Assert.Contains("KA_REMOVED_NODES=''", world.Read(shrunk, "n02")["lib/layout.env"], StringComparison.Ordinal);
        foreach (var node in new[] { "n01", "n02", "n04" })
        {
            var conf = world.Read(shrunk, node)["etc/kube-nginx/kube-nginx.conf"];
            Assert.DoesNotContain("127.0.1.3", conf, StringComparison.Ordinal);
            Assert.Contains("server 127.0.1.1:6443", conf, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(Path.Combine(world.Output, "t-n03-amd64.tar.gz")));
        var after = world.Stamps(shrunk);
        Assert.All(after.Keys, n => Assert.NotEqual(before[n], after[n]));
        Assert.Equal(["n01", "n02", "n04"], shrunk.Changes.Updates.Select(u => u.Node));

        // and: a rebuild still carries the removal (members.json-like record in the manifest) and rewrites nothing
        var again = world.Build(world.Spec with { Nodes = world.Spec.Nodes.Where(n => n.Name != "n03").ToList() });
        Assert.Equal(3, again.TarballsKept);
        Assert.Contains("KA_REMOVED_NODES='n03'", world.Read(again, "n01")["lib/layout.env"], StringComparison.Ordinal);
    }

    private static ClusterSpec With(ClusterSpec spec, string name, string ip, params NodeRole[] roles) =>
        spec with { Nodes = [.. spec.Nodes, new NodeSpec(name, ip, "amd64", roles.ToHashSet())] };

    /// <summary>A <see cref="SyntheticBundle"/> of four nodes whose trees are overlaid with the real rendered files, built as Render + Bundle would.</summary>
    private sealed class BundleWorld : IDisposable
    {
        private readonly SyntheticBundle _bundle = new(nodes: 4, binaryBytes: 64 * 1024, imageBytes: 64 * 1024);

        public ClusterSpec Spec => _bundle.Spec;

        public string Output => _bundle.Dir.Combine("out");

        public BundleBuilder.Result Build(ClusterSpec spec)
        {
            var previous = BundleBuilder.PreviousManifest(Output);
            var members = Membership.Next(previous?.Members, previous?.ToWorld(), spec);
            var pins = SyntheticInputs.WritePayloads(spec, SyntheticBundle.Pins, _bundle.PayloadDir, 64 * 1024, 64 * 1024);
            foreach (var node in spec.Nodes)
            {
                var tree = _bundle.NodeTree(node.Name);
                if (!Directory.Exists(tree))
                {
                    SyntheticInputs.WriteNodeTree(spec, node, tree);
                }

                var options = RenderFixture.Options() with { EtcdJoiners = members.EtcdJoiners };
                foreach (var file in RenderFixture.Render(spec, SyntheticBundle.Pins, node, options))
                {
                    var path = Path.Combine(tree, file.Path);
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    if (!File.Exists(path) || File.ReadAllText(path) != file.Content)
                    {
                        File.WriteAllText(path, file.Content);
                    }

                    OutputDirectory.SetMode(path, (UnixFileMode)file.Mode);
                }
            }

            var request = new BundleRequest(spec, pins, _bundle.PayloadDir, _bundle.NodeTree, Repo.File("src", "installer"), Output,
                _bundle.Dir.Combine("payload-cache"), 1700000000, 6, 2, _bundle.Signer) { Members = members };
            return BundleBuilder.Build(request);
        }

        /// <summary>Per node: the tarball's inode and mtime (what a rewrite changes).</summary>
        public Dictionary<string, string> Stamps(BundleBuilder.Result result) =>
            result.Manifest.Nodes.ToDictionary(
                n => n.Name,
                n => Cmd.Run("stat", "-c", "%i %y", Path.Combine(Output, n.Bundle)).EnsureSuccess("stat").Stdout.Trim());

        /// <summary>The node's own files in its tarball, by bundle path.</summary>
        public Dictionary<string, string> Read(BundleBuilder.Result result, string node)
        {
            var tarball = Path.Combine(Output, result.Manifest.Nodes.Single(n => n.Name == node).Bundle);
            var dir = _bundle.Dir.Combine("read", node + "-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            Cmd.Run("tar", "-xzf", tarball, "-C", dir).EnsureSuccess("tar");
            var top = Path.Combine(dir, $"t-{node}");
            return new[] { "lib/layout.env", "etc/systemd/system/etcd.service", "etc/kube-nginx/kube-nginx.conf" }
                .Where(p => File.Exists(Path.Combine(top, p)))
                .ToDictionary(p => p, p => File.ReadAllText(Path.Combine(top, p), Encoding.UTF8));
        }

        public void Dispose() => _bundle.Dispose();
    }
}
