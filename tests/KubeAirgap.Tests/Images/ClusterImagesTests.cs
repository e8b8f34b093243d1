using KubeAirgap.Roles;
using KubeAirgap.Cluster;
using KubeAirgap.Images;
using KubeAirgap.Images.Archive;
using KubeAirgap.Layout;
using KubeAirgap.Tests.Images.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Images;

/// <summary>
/// The cluster-level completeness check (moved out of ImagesTask): each rendered node tree against the archive of its
/// own payload key; a node not rendered yet is reported and skipped.
/// </summary>
public sealed class ClusterImagesTests
{
    public sealed class TheCheckMethod : IDisposable
    {
        private readonly PullFixture _fixture = new();
        private readonly TempDirectory _dir = new("kag-cluster-images");

        [Fact]
        public async Task Should_Check_Each_Node_Against_Its_Own_Payloads_Archive_And_Skip_Nodes_Not_Rendered()
        {
            // Given: n1's payload has an archive with what n1 names; n2 (another payload: worker only) names an image
            // but its payload has no archive; n3 is not rendered
            var spec = new ClusterSpec
            {
                Name = "t",
                KubernetesVersion = "1.36.3",
                Nodes =
                [
                    new("n1", "127.0.0.1", "amd64", new HashSet<NodeRole> { NodeRole.Etcd, NodeRole.ControlPlane, NodeRole.Worker }),
                    new("n2", "127.0.0.2", "amd64", new HashSet<NodeRole> { NodeRole.Worker }),
                    new("n3", "127.0.0.3", "arm64", new HashSet<NodeRole> { NodeRole.Worker }),
                ],
            };
            var images = new ClusterImages(spec, key => _dir.Combine("payload", key.Name));
            var pause = _fixture.Cached("registry.example/pause:3.10.2", TestImages.Image("pause"));
            var node = _fixture.Cached("registry.example/calico/node:v1", TestImages.Image("node"));
            await OciArchive.WriteAsync(images.ArchiveOf(PayloadKey.Of(spec.Nodes[0])), [pause, node], _fixture.Cache, DateTimeOffset.UnixEpoch, TestContext.Current.CancellationToken);
            WriteTree("n1", "registry.example/calico/node:v1");
            WriteTree("n2", "registry.example/team/app:2.0");
            var notRendered = new List<string>();

            // When
            var errors = images.Check(n => _dir.Combine("nodes", n), notRendered.Add);

            // Then
            Assert.Equal(["n3"], notRendered);
            Assert.NotEmpty(errors);
            Assert.All(errors, e => Assert.StartsWith(_dir.Combine("nodes", "n2") + "/", e.File, StringComparison.Ordinal));
            Assert.Contains(errors, e => e.Message.Contains("registry.example/team/app:2.0", StringComparison.Ordinal)
                && e.Message.Contains(images.ArchiveOf(PayloadKey.Of(spec.Nodes[1])), StringComparison.Ordinal));
        }

        public void Dispose()
        {
            _fixture.Dispose();
            _dir.Dispose();
        }

        private void WriteTree(string node, string image)
        {
            _dir.Write($"nodes/{node}/addons/app.yaml", $"apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n  - name: app\n    image: {image}\n");
            _dir.Write($"nodes/{node}/etc/containerd/config.toml", "version = 3\n[plugins.'io.containerd.cri.v1.images'.pinned_images]\n  sandbox = 'registry.example/pause:3.10.2'\n");
        }
    }

    public sealed class TheArchiveTimeMethod
    {
        [Fact]
        public void Should_Use_Source_Date_Epoch_When_Set_And_1970_Otherwise()
        {
            Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1767225600), ClusterImages.ArchiveTime("1767225600"));
            Assert.Equal(DateTimeOffset.UnixEpoch, ClusterImages.ArchiveTime(null));
        }
    }
}
