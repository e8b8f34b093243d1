using System.Formats.Tar;
using System.Text.Json;
using KubeAirgap.Images.Archive;
using KubeAirgap.Tests.Images.Fixtures;

namespace KubeAirgap.Tests.Images;

public sealed class OciArchiveTests
{
    public sealed class TheWriteAsyncMethod : IDisposable
    {
        private readonly PullFixture _fixture = new();

        [Fact]
        public async Task Should_Write_The_Same_Bytes_For_The_Same_Images_In_Any_Order()
        {
            // Given
            var a = _fixture.Cached("registry.example/a:1", TestImages.Image("a"));
            var b = _fixture.Cached("registry.example/b:1", TestImages.Image("b"));

            // When
            await OciArchive.WriteAsync(_fixture.Output("1.tar"), [a, b], _fixture.Cache, DateTimeOffset.UnixEpoch, TestContext.Current.CancellationToken);
            await OciArchive.WriteAsync(_fixture.Output("2.tar"), [b, a], _fixture.Cache, DateTimeOffset.UnixEpoch, TestContext.Current.CancellationToken);

            // Then
            Assert.Equal(await File.ReadAllBytesAsync(_fixture.Output("1.tar"), TestContext.Current.CancellationToken), await File.ReadAllBytesAsync(_fixture.Output("2.tar"), TestContext.Current.CancellationToken));
        }

        [Fact]
        public async Task Should_Store_Each_Blob_Once_In_Sorted_Entries_Owned_By_Root_With_A_Fixed_Mtime()
        {
            // Given: two images sharing the busybox layer
            var a = _fixture.Cached("registry.example/a:1", TestImages.Image("a"));
            var b = _fixture.Cached("registry.example/b:1", TestImages.Image("b"));
            var mtime = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

            // When
            await OciArchive.WriteAsync(_fixture.Output("images.oci.tar"), [a, b], _fixture.Cache, mtime, TestContext.Current.CancellationToken);

            // Then
            var entries = new List<TarEntry>();
            await using (var file = File.OpenRead(_fixture.Output("images.oci.tar")))
            await using (var tar = new TarReader(file))
            {
                while (await tar.GetNextEntryAsync(cancellationToken: TestContext.Current.CancellationToken) is { } entry)
                {
                    entries.Add(entry);
                }
            }

            var names = entries.Select(e => e.Name).ToList();
            Assert.Equal(names.Order(StringComparer.Ordinal), names);
            Assert.Single(names, n => n == "blobs/sha256/" + TestImages.BaseLayer.Digest["sha256:".Length..]);
            Assert.Equal(a.Blobs.Concat(b.Blobs).Select(x => x.Digest).Distinct().Count(), names.Count(n => n.StartsWith("blobs/sha256/", StringComparison.Ordinal) && n.Length > "blobs/sha256/".Length));
            Assert.All(entries, e => Assert.Equal((0, 0, mtime), (e.Uid, e.Gid, e.ModificationTime)));
            Assert.Contains("oci-layout", names);
        }

        [Fact]
        public async Task Should_Annotate_Each_Image_With_Its_Full_Reference_For_Containerd_And_Oci()
        {
            // Given
            var pause = _fixture.Cached("registry.k8s.io/pause:3.10.2", TestImages.Image("pause"));

            // When
            await OciArchive.WriteAsync(_fixture.Output("images.oci.tar"), [pause], _fixture.Cache, DateTimeOffset.UnixEpoch, TestContext.Current.CancellationToken);

            // Then
            var index = JsonDocument.Parse(OciArchive.IndexJson([pause])).RootElement.GetProperty("manifests").EnumerateArray().ToList();
            var names = index.Select(m => m.GetProperty("annotations").GetProperty(OciArchive.ContainerdNameAnnotation).GetString()).ToList();
            Assert.Equal(["registry.k8s.io/pause:3.10.2", $"registry.k8s.io/pause@{pause.Target.Digest}"], names);
            Assert.All(index, m => Assert.Equal(
                m.GetProperty("annotations").GetProperty(OciArchive.ContainerdNameAnnotation).GetString(),
                m.GetProperty("annotations").GetProperty(OciArchive.RefNameAnnotation).GetString()));
            var contents = OciArchiveContents.Read(_fixture.Output("images.oci.tar"));
            Assert.Equal(["amd64"], contents.ArchesOf("registry.k8s.io/pause:3.10.2"));
        }

        [Fact]
        public async Task Should_Leave_No_File_When_A_Cached_Blob_Is_Missing()
        {
            // Given
            var image = TestImages.Image("gone");
            var pulled = _fixture.Cached("registry.example/gone:1", image);
            File.Delete(_fixture.Cache.PathOf(KubeAirgap.Content.Digest.Parse(image.Layers[1].Digest)));

            // When
            await Assert.ThrowsAsync<FileNotFoundException>(() =>
                OciArchive.WriteAsync(_fixture.Output("images.oci.tar"), [pulled], _fixture.Cache, DateTimeOffset.UnixEpoch, TestContext.Current.CancellationToken));

            // Then
            Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(_fixture.Output("images.oci.tar"))!));
        }

        public void Dispose() => _fixture.Dispose();
    }
}
