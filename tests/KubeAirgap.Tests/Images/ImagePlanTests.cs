using KubeAirgap.Cluster;
using KubeAirgap.ImageRefs;
using KubeAirgap.Images;
using KubeAirgap.Images.Oci;
using KubeAirgap.Layout;
using KubeAirgap.Pins;
using KubeAirgap.Roles;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Images;

public sealed class ImagePlanTests
{
    public sealed class TheForMethod
    {
        private readonly PinsFile _pins = PinsLoader.LoadValid(Repo.File("pins.yaml"));

        [Fact]
        public void Should_List_The_Release_Images_Of_A_Worker_From_The_Repository_Pins()
        {
            // Given
            var cluster = ClusterLoader.LoadValid(Repo.File("cluster.yaml"), _pins);
            var key = PayloadKey.Of(cluster.Nodes[0]);

            // When
            var images = ImagePlan.For(key, cluster, _pins).Select(i => i.ToString()).ToList();

            // Then
            Assert.Contains("registry.k8s.io/pause:3.10.2@sha256:f548e0e8e3dc1896ca956272154dde3314e8cc4fde0a57577ee9fa1c63f5baf4", images);
            Assert.Contains("registry.k8s.io/coredns/coredns:v1.14.2@sha256:e7e6440cfd1e919280958f5b5a6ab2b184d385bba774c12ad2a9e1e4183f90d9", images);
            Assert.Contains("quay.io/calico/node:v3.31.7", images);
            Assert.Equal(ComponentCatalog.ImagesByRole[NodeRole.Worker].Count, images.Count);
        }

        [Fact]
        public void Should_Add_Extra_Images_To_Workers_Only()
        {
            // Given
            var cluster = ClusterLoader.LoadValid(Repo.File("cluster.yaml"), _pins) with
            {
                Images = new ImagesSpec { Extra = ["example.org/shop/web:2.1@sha256:" + new string('a', 64)] },
            };

            // When
            var worker = ImagePlan.For(new PayloadKey("arm64", [NodeRole.Worker]), cluster, _pins);
            var etcdOnly = ImagePlan.For(new PayloadKey("arm64", [NodeRole.Etcd]), cluster, _pins);

            // Then
            Assert.Contains(worker, i => i.Canonical == "example.org/shop/web@sha256:" + new string('a', 64));
            Assert.Empty(etcdOnly);
        }
    }

    public sealed class TheImageReferenceParser
    {
        [Theory]
        [InlineData("busybox", "docker.io/library/busybox:latest")]
        [InlineData("calico/node:v3.31.7", "docker.io/calico/node:v3.31.7")]
        [InlineData("registry.k8s.io/pause:3.10.2", "registry.k8s.io/pause:3.10.2")]
        [InlineData("localhost:5000/app:1", "localhost:5000/app:1")]
        [InlineData("127.0.0.1:5000/a/b/c:1.0-rc.1", "127.0.0.1:5000/a/b/c:1.0-rc.1")]
        [InlineData("index.docker.io/library/nginx:1", "docker.io/library/nginx:1")]
        [InlineData("quay.io/calico/cni:v3@sha256:1111111111111111111111111111111111111111111111111111111111111111", "quay.io/calico/cni@sha256:1111111111111111111111111111111111111111111111111111111111111111")]
        public void Should_Normalise_Like_Containerds_Cri(string reference, string canonical) =>
            Assert.Equal(canonical, ImageReference.Parse(reference).Canonical);

        [Theory]
        [InlineData("Registry.k8s.io/Pause:3")]
        [InlineData("registry.k8s.io/pause:3@sha256:123")]
        [InlineData("")]
        public void Should_Reject_What_Is_Not_A_Reference(string reference) =>
            Assert.False(ImageReference.TryParse(reference, out _));
    }
}
