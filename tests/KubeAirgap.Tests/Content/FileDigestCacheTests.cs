using KubeAirgap.Content;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Content;

/// <summary>
/// Issue 17 item 4: the (path, device, inode, size, mtime, ctime) → sha256 cache that lets a no-op rebuild skip reading
/// its inputs. Each test checks what could go wrong: a file changed behind the cache's back must be read again, and a
/// damaged cache file must never be believed.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FileDigestCacheTests : IDisposable
{
    private readonly TempDirectory _temp = new("kag-digests");

    public void Dispose() => _temp.Dispose();

    private string CacheFile => _temp.Combine("state", "digests.tsv");

    /// <summary>A clock an hour ahead: every file written by the test is long settled (not racy) when it is read.</summary>
    private static FixedClock Later => new(DateTimeOffset.UtcNow.AddHours(1));

    [Fact]
    public void An_unchanged_file_is_answered_from_the_cache_and_a_second_save_writes_nothing()
    {
        // Given: a file hashed once and the cache saved
        var file = _temp.Write("payload/bin/kubelet", "kubelet bytes");
        var first = FileDigestCache.Load(CacheFile, Fail, Later);
        Assert.Equal(Sha256Hex.OfFile(file), first.Sha256(file));
        Assert.Equal((1, 0), (first.FilesRead, first.FilesReused));
        Assert.True(first.Save());
        var saved = FileIdentity.Of(CacheFile);

        // When: the next build asks again
        var second = FileDigestCache.Load(CacheFile, Fail, Later);
        var sha = second.Sha256(file);

        // Then: the answer without reading the file, and the cache file left as it was (inode, mtime, ctime)
        Assert.Equal(Sha256Hex.OfFile(file), sha);
        Assert.Equal((0, 1, 0L), (second.FilesRead, second.FilesReused, second.BytesRead));
        Assert.False(second.Save());
        Assert.Equal(saved, FileIdentity.Of(CacheFile));
    }

    [Fact]
    public void A_file_rewritten_in_place_with_the_same_size_and_its_mtime_restored_is_read_again()
    {
        // Given
        var file = _temp.Write("payload/bin/kubelet", "kubelet bytes, the pinned ones");
        Cached(file);

        // When: one byte changed in the same inode, and touch -d puts the old mtime back (checked: only the ctime differs)
        SameSizeRewrite.FlipByte(file, 3);

        // Then
        var cache = FileDigestCache.Load(CacheFile, Fail, Later);
        Assert.Equal(Sha256Hex.OfFile(file), cache.Sha256(file));
        Assert.NotEqual(Sha256Hex.Of("kubelet bytes, the pinned ones"u8), Sha256Hex.OfFile(file));
        Assert.Equal((1, 0), (cache.FilesRead, cache.FilesReused));
    }

    [Fact]
    public void A_file_replaced_by_a_rename_with_the_same_size_and_mtime_is_read_again()
    {
        // Given
        var file = _temp.Write("payload/images/images.oci.tar", "archive one");
        var before = Cached(file);

        // When: another file of the same size, given the same mtime, renamed over it (a new inode)
        var planted = _temp.Write("planted", "archive two");
        SameSizeRewrite.Touch(planted, before.MtimeNs);
        File.Move(planted, file, overwrite: true);

        // Then
        Assert.NotEqual(before.Inode, FileIdentity.Of(file)!.Value.Inode);
        var cache = FileDigestCache.Load(CacheFile, Fail, Later);
        Assert.Equal(Sha256Hex.Of("archive two"u8), cache.Sha256(file));
        Assert.Equal(1, cache.FilesRead);
    }

    public static TheoryData<string> Damages => ["truncated mid-line", "truncated at a line end", "a sha256 changed", "not a cache", "empty lines only"];

    [Theory]
    [MemberData(nameof(Damages))]
    public void A_damaged_cache_file_is_not_believed_every_file_is_read_again_with_a_warning(string damage)
    {
        // Given: a cache that knows the file, then damaged; the file itself is unchanged
        var file = _temp.Write("payload/bin/etcd", "etcd bytes");
        var truth = Sha256Hex.OfFile(file);
        Cached(file);
        var text = File.ReadAllText(CacheFile);
        var line = text.IndexOf(truth, StringComparison.Ordinal);
        Assert.True(line > 0, text);
        File.WriteAllText(CacheFile, damage switch
        {
            "truncated mid-line" => text[..(line + 10)],
            "truncated at a line end" => text[..(text.IndexOf('\n', line) + 1)],
            "a sha256 changed" => text[..line] + new string('0', 64) + text[(line + 64)..],
            "not a cache" => "sha256\t" + file + "\t1\t2\t3\t4\t5\tclean\t" + new string('0', 64) + "\n",
            _ => "\n\n",
        });

        // When
        var warnings = new List<string>();
        var cache = FileDigestCache.Load(CacheFile, warnings.Add, Later);
        var sha = cache.Sha256(file);

        // Then: the file's own sha256, read from it, and a warning naming the cache file
        Assert.Equal(truth, sha);
        Assert.Equal((1, 0), (cache.FilesRead, cache.FilesReused));
        var warning = Assert.Single(warnings);
        Assert.Contains(CacheFile, warning, StringComparison.Ordinal);
        Assert.Contains("damaged", warning, StringComparison.Ordinal);

        // and the cache is written anew, good again for the next build
        Assert.True(cache.Save());
        var next = FileDigestCache.Load(CacheFile, Fail, Later);
        Assert.Equal(truth, next.Sha256(file));
        Assert.Equal(0, next.FilesRead);
    }

    [Fact]
    public void An_entry_read_right_after_the_file_changed_is_racy_read_again_every_time_and_never_rewritten()
    {
        // Given: the file read within the racy window of its last change (the real clock, just after writing it)
        var file = _temp.Write("nodes/n1/etc/kubelet.conf", "rendered a moment ago");
        var first = FileDigestCache.Load(CacheFile, Fail);
        first.Sha256(file);
        Assert.True(first.Save());
        Assert.Contains("\tracy\t", File.ReadAllText(CacheFile), StringComparison.Ordinal);
        var saved = FileIdentity.Of(CacheFile);

        // When: the next build, still within the window
        var second = FileDigestCache.Load(CacheFile, Fail, new FixedClock(DateTimeOffset.UtcNow));
        var sha = second.Sha256(file);

        // Then: read again (a write in the same timestamp tick would not show in the identity), same answer, cache untouched
        Assert.Equal(Sha256Hex.OfFile(file), sha);
        Assert.Equal((1, 0), (second.FilesRead, second.FilesReused));
        Assert.False(second.Save());
        Assert.Equal(saved, FileIdentity.Of(CacheFile));
    }

    [Fact]
    public void A_recorded_output_is_not_read_back_and_entries_no_build_asked_for_are_dropped()
    {
        // Given: a tarball this build wrote (its sha256 computed while writing), and an input looked up
        var tarball = _temp.Write("out/t-n1-amd64.tar.gz", "tarball bytes");
        var input = _temp.Write("payload/bin/runc", "runc bytes");
        var build = FileDigestCache.Load(CacheFile, Fail, Later);
        build.Record(tarball, Sha256Hex.OfFile(tarball));
        build.Sha256(input);
        build.Save();

        // When: the next build only looks at the tarball
        var next = FileDigestCache.Load(CacheFile, Fail, Later);
        Assert.Equal(Sha256Hex.OfFile(tarball), next.Sha256(tarball));
        Assert.True(next.Save());

        // Then: answered without reading; the input's entry is gone from the cache
        Assert.Equal((0, 1), (next.FilesRead, next.FilesReused));
        var text = File.ReadAllText(CacheFile);
        Assert.Contains(tarball, text, StringComparison.Ordinal);
        Assert.DoesNotContain(input, text, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(CacheFile));
    }

    [Fact]
    public void A_value_whose_computation_refuses_the_bytes_is_not_recorded()
    {
        // the image names of an archive are kept only once its blobs checked out: a throwing check records nothing
        var file = _temp.Write("payload/images/images.oci.tar", "not an archive");
        var build = FileDigestCache.Load(CacheFile, Fail, Later);
        Assert.Throws<InvalidDataException>(() => build.Value(file, "oci-names", _ => throw new InvalidDataException("blob hashes to something else")));
        build.Save();

        var next = FileDigestCache.Load(CacheFile, Fail, Later);
        Assert.Equal("names", next.Value(file, "oci-names", _ => "names"));
        Assert.Equal(1, next.FilesRead);
    }

    /// <summary>Hashes <paramref name="file"/> into the cache file and returns the identity it was recorded with.</summary>
    private FileIdentity Cached(string file)
    {
        var cache = FileDigestCache.Load(CacheFile, Fail, Later);
        cache.Sha256(file);
        cache.Save();
        return FileIdentity.Of(file)!.Value;
    }

    private static void Fail(string warning) => Assert.Fail($"unexpected warning: {warning}");

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
