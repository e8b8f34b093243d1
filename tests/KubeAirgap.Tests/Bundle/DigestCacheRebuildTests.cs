using System.Formats.Tar;
using KubeAirgap.Bundle;
using KubeAirgap.Content;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Bundle;

/// <summary>
/// Issue 17 item 4, the time half: a no-op rebuild reads no unchanged input or output again (the file digest cache in
/// state/), while a file changed behind the cache's back (same size, same mtime, same inode) is still caught by the same
/// checks as without a cache, and a damaged cache only costs time.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DigestCacheRebuildTests : IDisposable
{
    private readonly SyntheticBundle _fixture = new();

    public DigestCacheRebuildTests()
    {
        // the inputs were staged by earlier tasks, not in the moment before Bundle: past the window in which a file's
        // entry is racy (read again every time)
        Thread.Sleep(FileDigestCache.RacyWindow + TimeSpan.FromMilliseconds(200));
    }

    public void Dispose() => _fixture.Dispose();

    private string CacheFile => _fixture.Dir.Combine("state", "t", "bundle-digests.tsv");

    private BundleRequest Request => _fixture.Request("artifacts/t") with { DigestCacheFile = CacheFile };

    [Fact]
    public void A_no_op_rebuild_reads_no_input_or_tarball_again_and_leaves_the_cache_file_as_it_was()
    {
        // Given: a cold build, which reads every input once and records the tarballs it wrote
        var cold = BundleBuilder.Build(Request);
        Assert.True(cold.Reads.FilesRead > 0);
        var cache = FileIdentity.Of(CacheFile);
        Assert.NotNull(cache);

        // When
        var again = BundleBuilder.Build(Request);

        // Then: not one file read to hash it; every payload file, the image archive's verified names, every node tree
        // file and every kept tarball answered by the cache; the cache file not rewritten
        Assert.Equal((0, 0L), (again.Reads.FilesRead, again.Reads.BytesRead));
        var payloadFiles = new[] { "bin", "images" }.Sum(d => Directory.GetFiles(Path.Combine(_fixture.FirstPayload, d), "*", SearchOption.AllDirectories).Length);
        var nodeFiles = _fixture.Spec.Nodes.Sum(n => Directory.GetFiles(_fixture.NodeTree(n.Name), "*", SearchOption.AllDirectories).Length);
        Assert.Equal(payloadFiles + 1 + nodeFiles + _fixture.Spec.Nodes.Count, again.Reads.FilesReused);
        Assert.Equal(_fixture.Spec.Nodes.Count, again.TarballsKept);
        Assert.Equal(0, again.BytesWritten);
        Assert.Equal(cache, FileIdentity.Of(CacheFile));
        Assert.Equal(cold.Tarballs.Select(t => t.Sha256), again.Tarballs.Select(t => t.Sha256));
        Assert.Empty(again.Warnings);
    }

    // The benchmark (stop 16) found every no-op after the first reading the kept tarballs again and rewriting the cache:
    // keeping a tarball chmod'ed it to the mode it already had, which moves its ctime, part of the cache's key.
    [Fact]
    public void No_op_rebuilds_in_a_row_read_nothing_and_leave_the_tarballs_and_the_cache_untouched()
    {
        // Given: a cold build and a first no-op rebuild
        var cold = BundleBuilder.Build(Request);
        BundleBuilder.Build(Request);
        var tarballs = cold.Tarballs.Select(t => FileIdentity.Of(t.Path)).ToList();
        var cache = FileIdentity.Of(CacheFile);

        // When: two more
        var second = BundleBuilder.Build(Request);
        var third = BundleBuilder.Build(Request);

        // Then: neither read a file, and no tarball's or the cache's identity (inode, size, mtime, ctime) moved
        Assert.Equal((0, 0), (second.Reads.FilesRead, third.Reads.FilesRead));
        Assert.Equal(tarballs, cold.Tarballs.Select(t => FileIdentity.Of(t.Path)).ToList());
        Assert.Equal(cache, FileIdentity.Of(CacheFile));
    }

    [Fact]
    public void A_no_op_rebuild_of_the_fleet_layout_reads_no_file_either()
    {
        // the payload tarball's sha256 comes from its member (compressed by the cold build) and the tarball itself
        var request = Request with { Layout = BundleLayout.Fleet };
        var cold = BundleBuilder.Build(request);

        var again = BundleBuilder.Build(request);

        Assert.Equal((0, 0L), (again.Reads.FilesRead, again.Reads.BytesRead));
        Assert.Equal(_fixture.Spec.Nodes.Count, again.TarballsKept);
        Assert.Equal(0, again.BytesWritten);
        Assert.Equal(cold.Payloads.Select(p => p.Sha256), again.Payloads.Select(p => p.Sha256));
    }

    [Fact]
    public void A_staged_binary_rewritten_in_place_with_the_same_size_and_mtime_is_refused_as_without_a_cache()
    {
        // Given
        BundleBuilder.Build(Request);
        var kubelet = Path.Combine(_fixture.FirstPayload, "bin", "kubelet");

        // When: one byte flipped in the same inode, the mtime put back with touch -d
        SameSizeRewrite.FlipByte(kubelet, 100);

        // Then: read again (its ctime changed) and refused by the ledger check, naming it
        var error = Assert.Throws<InvalidDataException>(() => BundleBuilder.Build(Request));
        Assert.Contains($"bin/kubelet: sha256 {Sha256Hex.OfFile(kubelet)}, but it was staged as", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_layer_changed_in_place_in_the_staged_image_archive_is_refused_naming_the_blob_though_its_names_were_cached()
    {
        // Given: a build that verified the archive's blobs and cached its image names
        BundleBuilder.Build(Request);
        var archive = Path.Combine(_fixture.FirstPayload, "images", "images.oci.tar");
        var (layer, offset) = LargestBlob(archive);

        // When: one byte of that blob flipped in place, the archive's size, inode and mtime unchanged
        SameSizeRewrite.FlipByte(archive, offset);

        // Then
        var error = Assert.Throws<InvalidDataException>(() => BundleBuilder.Build(Request));
        Assert.Contains($"{archive}: {layer} hashes to sha256:", error.Message, StringComparison.Ordinal);
        Assert.Contains("not to its name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_cache_file_makes_the_rebuild_read_every_file_with_a_warning_and_keep_the_same_tarballs()
    {
        // Given
        var cold = BundleBuilder.Build(Request);
        var text = File.ReadAllText(CacheFile);
        File.WriteAllText(CacheFile, text[..(text.Length / 2)]);

        // When
        var again = BundleBuilder.Build(Request);

        // Then: nothing taken from the damaged file, the same bundles (kept: their bytes are what the manifest says)
        Assert.Equal(0, again.Reads.FilesReused);
        Assert.Equal(cold.Reads.FilesRead + _fixture.Spec.Nodes.Count, again.Reads.FilesRead);
        var warning = Assert.Single(again.Warnings);
        Assert.Contains(CacheFile, warning, StringComparison.Ordinal);
        Assert.Contains("damaged", warning, StringComparison.Ordinal);
        Assert.Equal(cold.Tarballs.Select(t => t.Sha256), again.Tarballs.Select(t => t.Sha256));
        Assert.Equal(_fixture.Spec.Nodes.Count, again.TarballsKept);

        // and written anew: the build after takes every input from it (the tarballs, read here within moments of
        // being written, are racy entries: read again, never trusted)
        var third = BundleBuilder.Build(Request);
        Assert.True(third.Reads.FilesReused >= cold.Reads.FilesRead, $"{third.Reads}");
        Assert.True(third.Reads.FilesRead <= _fixture.Spec.Nodes.Count, $"{third.Reads}");
    }

    [Fact]
    public void A_kept_tarball_changed_in_place_is_read_again_and_rewritten()
    {
        // Given
        var cold = BundleBuilder.Build(Request);
        var tarball = _fixture.Tarball(cold, "n02");

        // When: a byte of the tarball flipped, size, inode and mtime unchanged
        SameSizeRewrite.FlipByte(tarball, new FileInfo(tarball).Length / 2);
        var again = BundleBuilder.Build(Request);

        // Then: its bytes no longer match the manifest, so it is written again; the other two are kept
        Assert.Equal(cold.Tarballs.Select(t => t.Sha256), again.Tarballs.Select(t => t.Sha256));
        Assert.Equal(cold.Tarballs.Single(t => t.Path == tarball).Sha256, Sha256Hex.OfFile(tarball));
        Assert.Equal(_fixture.Spec.Nodes.Count - 1, again.TarballsKept);
    }

    /// <summary>The name of the archive's largest blob and an offset in the archive file inside that blob's data.</summary>
    private static (string Name, long Offset) LargestBlob(string archive)
    {
        var bytes = File.ReadAllBytes(archive);
        using var reader = new TarReader(new MemoryStream(bytes));
        (string Name, byte[] Data) largest = (string.Empty, []);
        while (reader.GetNextEntry(copyData: true) is { } entry)
        {
            if (entry.Name.StartsWith("blobs/sha256/", StringComparison.Ordinal) && entry.Length > largest.Data.Length)
            {
                using var data = new MemoryStream();
                entry.DataStream!.CopyTo(data);
                largest = (entry.Name, data.ToArray());
            }
        }

        Assert.True(largest.Data.Length > 1024, $"{archive}: no blob over 1 KiB");
        var middle = largest.Data.AsSpan(largest.Data.Length / 2, 64);
        var at = bytes.AsSpan().IndexOf(middle);
        Assert.True(at > 0, "the blob's bytes are not found in the archive");
        return (largest.Name, at);
    }
}
