using KubeAirgap.ImageRefs;
using KubeAirgap.Images.Archive;
using KubeAirgap.Images.Oci;
using KubeAirgap.Images.Pull;
using KubeAirgap.Images.Registry;
using KubeAirgap.Tests.Images.Fixtures;

namespace KubeAirgap.Tests.Images;

/// <summary>The registry client and puller against Debian's docker-registry on loopback (plain and htpasswd).</summary>
public sealed class RegistryClientTests
{
    public sealed class ThePullAsyncMethod : IDisposable
    {
        private readonly TestRegistry _registry = new();
        private readonly PullFixture _fixture = new();

        [Fact]
        public async Task Should_Pull_A_Single_Arch_Image_And_Verify_Every_Blob()
        {
            // Given
            var image = TestImages.Image("single");
            var digest = _registry.Push("test/single", "1.0", image);
            using var client = _fixture.Client();

            // When
            var pulled = await new ImagePuller(client).PullAsync(ImageReference.Parse($"{_registry.Host}/test/single:1.0"), "amd64", TestContext.Current.CancellationToken);

            // Then
            Assert.Equal(digest, pulled.Target.Digest);
            Assert.Equal(MediaTypes.OciManifest, pulled.Target.MediaType);
            Assert.Equal([$"{_registry.Host}/test/single:1.0", $"{_registry.Host}/test/single@{digest}"], pulled.Names);
            Assert.Equal(image.Blobs.Select(b => b.Digest).Append(digest).Order(), pulled.Blobs.Select(b => b.Digest).Order());
            foreach (var blob in image.Blobs)
            {
                Assert.Equal(blob.Bytes, await File.ReadAllBytesAsync(_fixture.Cache.PathOf(KubeAirgap.Content.Digest.Parse(blob.Digest)), TestContext.Current.CancellationToken));
            }
        }

        [Fact]
        public async Task Should_Resolve_A_Multi_Arch_Index_To_Each_Node_Arch()
        {
            // Given
            var amd64 = TestImages.Image("multi amd64", "amd64");
            var arm64 = TestImages.Image("multi arm64", "arm64", docker: true);
            var index = TestImages.Index(amd64, arm64);
            var digest = _registry.Push("test/multi", "2.0", index);
            using var client = _fixture.Client();
            var puller = new ImagePuller(client);
            var reference = ImageReference.Parse($"{_registry.Host}/test/multi:2.0");

            // When
            var forAmd64 = await puller.PullAsync(reference, "amd64", TestContext.Current.CancellationToken);
            var forArm64 = await puller.PullAsync(reference, "arm64", TestContext.Current.CancellationToken);

            // Then
            Assert.Equal(digest, forAmd64.Target.Digest);
            Assert.Equal(digest, forArm64.Target.Digest);
            Assert.Contains(forAmd64.Blobs, b => b.Digest == amd64.Manifest.Digest);
            Assert.DoesNotContain(forAmd64.Blobs, b => b.Digest == arm64.Manifest.Digest);
            Assert.Contains(forArm64.Blobs, b => b.Digest == arm64.Manifest.Digest);
            Assert.Contains(forArm64.Blobs, b => b.Digest == arm64.Config.Digest);
        }

        [Fact]
        public async Task Should_Download_A_Layer_Two_Images_Share_Once()
        {
            // Given
            var one = TestImages.Image("one");
            var two = TestImages.Image("two");
            _registry.Push("test/one", "1", one);
            _registry.Push("test/two", "1", two);
            using var client = _fixture.Client();

            // When
            var pulled = await new ImagePuller(client).PullAllAsync(
                [ImageReference.Parse($"{_registry.Host}/test/one:1"), ImageReference.Parse($"{_registry.Host}/test/two:1")], "amd64", TestContext.Current.CancellationToken);

            // Then
            var sumOfImages = pulled.Sum(p => p.Size);
            Assert.Equal(sumOfImages - TestImages.BaseLayer.Size, client.BytesDownloaded);
        }

        [Fact]
        public async Task Should_Resolve_A_Tag_To_Its_Digest()
        {
            // Given
            var digest = _registry.Push("test/lock", "v1", TestImages.Image("lock"));
            using var client = _fixture.Client();

            // When
            var resolved = (await client.GetManifestAsync(KubeAirgap.ImageRefs.ImageReference.Parse($"{_registry.Host}/test/lock:v1"), "v1", TestContext.Current.CancellationToken)).Digest;

            // Then
            Assert.Equal(digest, resolved);
        }

        [Fact]
        public async Task Should_Fail_Clearly_When_The_Index_Lacks_The_Node_Arch()
        {
            // Given
            _registry.Push("test/amd64only", "1", TestImages.Index(TestImages.Image("amd64 only")));
            using var client = _fixture.Client();

            // When
            var error = await Assert.ThrowsAsync<RegistryException>(() =>
                new ImagePuller(client).PullAsync(ImageReference.Parse($"{_registry.Host}/test/amd64only:1"), "arm64", TestContext.Current.CancellationToken));

            // Then
            Assert.Contains("no linux/arm64 image", error.Message, StringComparison.Ordinal);
            Assert.Contains("linux/amd64", error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public async Task Should_Refuse_A_Blob_Whose_Bytes_Do_Not_Match_Its_Digest_And_Write_No_Archive()
        {
            // Given: the registry's stored copy of the app layer is altered (same length, one byte flipped)
            var image = TestImages.Image("tampered");
            _registry.Push("test/tampered", "1", image);
            var layer = image.Layers[1];
            var stored = await File.ReadAllBytesAsync(_registry.BlobFile(layer.Digest), TestContext.Current.CancellationToken);
            stored[^5] ^= 0xff;
            await File.WriteAllBytesAsync(_registry.BlobFile(layer.Digest), stored, TestContext.Current.CancellationToken);
            using var client = _fixture.Client();
            var archive = _fixture.Output("images.oci.tar");

            // When
            var error = await Assert.ThrowsAsync<RegistryException>(async () =>
            {
                var pulled = await new ImagePuller(client).PullAsync(ImageReference.Parse($"{_registry.Host}/test/tampered:1"), "amd64", TestContext.Current.CancellationToken);
                await OciArchive.WriteAsync(archive, [pulled], client.Cache, DateTimeOffset.UnixEpoch, TestContext.Current.CancellationToken);
            });

            // Then
            Assert.Contains("digest mismatch", error.Message, StringComparison.Ordinal);
            Assert.Contains(layer.Digest, error.Message, StringComparison.Ordinal);
            Assert.False(File.Exists(archive));
            Assert.DoesNotContain(layer.Digest, _fixture.CachedBlobs());
        }

        [Fact]
        public async Task Should_Refuse_A_Manifest_Whose_Bytes_Do_Not_Match_Its_Digest()
        {
            // Given: the stored manifest's annotation changes ("test" -> "tesT"): still valid JSON, different digest
            var image = TestImages.Image("manifest", annotation: "test");
            var digest = _registry.Push("test/badmanifest", "1", image);
            var file = _registry.BlobFile(digest);
            var text = (await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken)).Replace("\"test\"", "\"tesT\"", StringComparison.Ordinal);
            await File.WriteAllTextAsync(file, text, TestContext.Current.CancellationToken);
            using var client = _fixture.Client();

            // When
            var byTag = await Assert.ThrowsAsync<RegistryException>(() =>
                new ImagePuller(client).PullAsync(ImageReference.Parse($"{_registry.Host}/test/badmanifest:1"), "amd64", TestContext.Current.CancellationToken));
            var byDigest = await Assert.ThrowsAsync<RegistryException>(() =>
                new ImagePuller(client).PullAsync(ImageReference.Parse($"{_registry.Host}/test/badmanifest@{digest}"), "amd64", TestContext.Current.CancellationToken));

            // Then
            Assert.Contains($"manifest digest mismatch: expected {digest}", byTag.Message, StringComparison.Ordinal);
            Assert.Contains($"manifest digest mismatch: expected {digest}", byDigest.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(digest, _fixture.CachedBlobs());
        }

        public void Dispose()
        {
            _registry.Dispose();
            _fixture.Dispose();
        }
    }
}
