using KubeAirgap.ImageRefs;
using KubeAirgap.Images.Archive;
using KubeAirgap.Images.Completeness;
using KubeAirgap.Render.Calico;
using KubeAirgap.Tests.Render.Fixtures;
using KubeAirgap.Tests.Images.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Images;

public sealed class CompletenessCheckTests
{
    public sealed class TheCheckMethod : IDisposable
    {
        private readonly PullFixture _fixture = new();
        private readonly TempDirectory _node = new("kag-node");

        [Fact]
        public async Task Should_Pass_When_Every_Referenced_Image_Is_In_The_Archive()
        {
            // Given
            var archive = await ArchiveAsync();
            WriteNodeTree("        image: registry.example/calico/node:v1");

            // When
            var errors = CompletenessCheck.Check(ImageUseScanner.Scan(_node.Path), archive, "amd64");

            // Then
            Assert.Empty(errors);
            Assert.Equal(2, ImageUseScanner.Scan(_node.Path).Count); // the comment in kubelet.yaml is not a use
        }

        [Fact]
        public async Task Should_Name_The_File_And_Line_Of_An_Image_Added_To_A_Manifest_But_Not_To_The_List()
        {
            // Given: the CNI manifest gains a second container whose image nobody added to pins.yaml
            var archive = await ArchiveAsync();
            WriteNodeTree("        image: registry.example/calico/node:v1\n      - name: sidecar\n        image: \"registry.example/calico/sidecar:v1\"");

            // When
            var errors = CompletenessCheck.Check(ImageUseScanner.Scan(_node.Path), archive, "amd64");

            // Then
            var error = Assert.Single(errors);
            Assert.Equal(_node.Combine("addons", "calico.yaml"), error.File);
            Assert.Equal(12, error.Line);
            Assert.Contains("registry.example/calico/sidecar:v1 is not in", error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public async Task Should_Find_An_Image_Written_In_Flow_Style_That_The_Archive_Lacks()
        {
            // Given: a user manifest writes its container in flow style (newcomer finding: a line scan missed it, so
            // the image was silently not bundled)
            var archive = await ArchiveAsync();
            WriteNodeTree("        image: registry.example/calico/node:v1\n      - {name: app, image: registry.example/team/app:2.0}");

            // When
            var errors = CompletenessCheck.Check(ImageUseScanner.Scan(_node.Path), archive, "amd64");

            // Then
            var error = Assert.Single(errors);
            Assert.Equal(_node.Combine("addons", "calico.yaml"), error.File);
            Assert.Equal(11, error.Line);
            Assert.Contains("registry.example/team/app:2.0 is not in", error.Message, StringComparison.Ordinal);
            Assert.Equal(3, ImageUseScanner.Scan(_node.Path).Count);
        }

        [Fact]
        public async Task Should_Fail_For_A_Digest_The_Archive_Does_Not_Hold_And_For_Another_Arch()
        {
            // Given
            var archive = await ArchiveAsync();
            WriteNodeTree("        image: registry.example/calico/node:v1@sha256:" + new string('0', 64));

            // When
            var wrongDigest = CompletenessCheck.Check(ImageUseScanner.Scan(_node.Path), archive, "amd64");
            var wrongArch = CompletenessCheck.Check(ImageUseScanner.Scan(_node.Path), archive, "arm64");

            // Then
            Assert.Single(wrongDigest);
            Assert.Contains("(the archive has registry.example/calico/node:v1", wrongDigest[0].Message, StringComparison.Ordinal);
            Assert.Contains(wrongArch, e => e.Message.Contains("not for this node's linux/arm64", StringComparison.Ordinal) && e.File.EndsWith("config.toml", StringComparison.Ordinal) && e.Line == 3);
        }

        [Fact]
        public async Task Should_Name_File_Line_And_Image_Missing_From_The_Archive_On_The_Real_Patched_Calico_Manifest()
        {
            // Given: Calico's real v3.31.7 manifest (the pinned upstream bytes) patched to the mirror's images, and an
            // archive that holds calico/node and calico/cni but not calico/kube-controllers
            string Mirror(string name) => $"registry.example/calico/{name}:v3.31.7";
            var patch = new CalicoPatch("10.244.0.0/16", "kubernetes-internal-ip", "/opt/cni/bin", "/etc/cni/net.d",
                new Dictionary<string, string>(StringComparer.Ordinal) { ["cni"] = Mirror("cni"), ["node"] = Mirror("node"), ["kube-controllers"] = Mirror("kube-controllers") });
            var patched = CalicoPatcher.Patch(File.ReadAllText(RenderFixture.CalicoManifest), patch, "calico.yaml");
            _node.Write("addons/calico.yaml", patched);
            var expectedLine = 1 + Array.FindIndex(patched.Split('\n'), l => l.Trim() == $"image: {Mirror("kube-controllers")}");
            Assert.True(expectedLine > 1, "the patched manifest names calico/kube-controllers");
            var cni = _fixture.Cached(Mirror("cni"), TestImages.Image("cni"));
            var node = _fixture.Cached(Mirror("node"), TestImages.Image("node"));
            var controllers = _fixture.Cached(Mirror("kube-controllers"), TestImages.Image("kube-controllers"));
            var token = TestContext.Current.CancellationToken;
            var partial = await OciArchive.WriteAsync(_fixture.Output("partial.oci.tar"), [cni, node], _fixture.Cache, DateTimeOffset.UnixEpoch, token);
            var complete = await OciArchive.WriteAsync(_fixture.Output("complete.oci.tar"), [cni, node, controllers], _fixture.Cache, DateTimeOffset.UnixEpoch, token);

            // When
            var uses = ImageUseScanner.Scan(_node.Path);
            var missing = CompletenessCheck.Check(uses, partial, "amd64");

            // Then: every container of the real manifest is seen, and the one missing image is named where it is used
            Assert.Equal(5, uses.Count(u => u.File.EndsWith("calico.yaml", StringComparison.Ordinal)));
            var error = Assert.Single(missing);
            Assert.Equal(_node.Combine("addons", "calico.yaml"), error.File);
            Assert.Equal(expectedLine, error.Line);
            Assert.Contains($"{Mirror("kube-controllers")} is not in", error.Message, StringComparison.Ordinal);
            Assert.Empty(CompletenessCheck.Check(uses, complete, "amd64"));
        }

        public void Dispose()
        {
            _fixture.Dispose();
            _node.Dispose();
        }

        private async Task<OciArchiveContents> ArchiveAsync()
        {
            var pause = _fixture.Cached("registry.example/pause:3.10.2", TestImages.Image("pause"));
            var node = _fixture.Cached("registry.example/calico/node:v1", TestImages.Image("node"));
            return await OciArchive.WriteAsync(_fixture.Output("images.oci.tar"), [pause, node], _fixture.Cache, DateTimeOffset.UnixEpoch, TestContext.Current.CancellationToken);
        }

        private void WriteNodeTree(string containers)
        {
            _node.Write("addons/calico.yaml",
                "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: calico-node\nspec:\n  template:\n    spec:\n      containers:\n"
                + "      - name: calico-node\n" + containers + "\n");
            _node.Write("etc/containerd/config.toml",
                "version = 3\n[plugins.'io.containerd.cri.v1.images'.pinned_images]\n  sandbox = 'registry.example/pause:3.10.2'\n");
            _node.Write("etc/kubernetes/kubelet.yaml", "kind: KubeletConfiguration\n# image: not.an/image:in-a-comment\n");
        }
    }
}
