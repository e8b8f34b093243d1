using KubeAirgap.Content;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Content;

public sealed class PrefixedFileTests : IDisposable
{
    private readonly TempDirectory _temp = new("kag-prefixed");

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(PrefixedFile.Method.Direct)]
    [InlineData(PrefixedFile.Method.KernelCopy)]
    public void Each_method_gives_the_prefix_then_what_is_appended(PrefixedFile.Method method)
    {
        var (prefix, bytes) = Prefix(_temp.Path, (5 << 20) + 333);

        var opened = Write(_temp.Combine("out"), prefix, [method]);

        Assert.Equal(method, opened);
        Assert.Equal([.. bytes, .. "node member"u8.ToArray()], File.ReadAllBytes(_temp.Combine("out")));
    }

    [Fact]
    public void On_ext4_the_prefix_goes_past_the_page_cache_and_on_XFS_its_extents_are_shared()
    {
        NeedsRoot.Check("mounting ext4 and XFS file systems on loop files");

        // Given: an ext4 and an XFS file system with reflinks (RHEL's default), each on a sparse loop file
        var ext4 = Mount("ext4", "mkfs.ext4", "-q", "-F");
        try
        {
            var xfs = Mount("xfs", "mkfs.xfs", "-q", "-m", "reflink=1");
            try
            {
                // When: the same 8 MiB prefix goes into a file on each, every method allowed
                var (onExt4, bytes) = Prefix(ext4, 8 << 20);
                var ext4Method = Write(Path.Combine(ext4, "n.tar.gz"), onExt4, PrefixedFile.Any);
                var (onXfs, _) = Prefix(xfs, 8 << 20);
                Cmd.Run("sync", "-f", onXfs).EnsureSuccess("sync");
                var xfsMethod = Write(Path.Combine(xfs, "n.tar.gz"), onXfs, PrefixedFile.Any);

                // Then: ext4 has no reflinks, so the bytes are written direct (none left in the page cache); on XFS the
                // file shares the prefix's extents (filefrag flags them "shared"); both files hold the same bytes
                Assert.Equal(PrefixedFile.Method.Direct, ext4Method);
                Assert.Equal(0, DirectFileStreamTests.ResidentBytes(Path.Combine(ext4, "n.tar.gz")));
                Assert.Equal(PrefixedFile.Method.SharedExtents, xfsMethod);
                Assert.Contains("shared", Cmd.Run("filefrag", "-v", Path.Combine(xfs, "n.tar.gz")).EnsureSuccess("filefrag").Stdout);
                byte[] expected = [.. bytes, .. "node member"u8.ToArray()];
                Assert.Equal(expected, File.ReadAllBytes(Path.Combine(ext4, "n.tar.gz")));
                Assert.Equal(expected, File.ReadAllBytes(Path.Combine(xfs, "n.tar.gz")));
            }
            finally
            {
                Cmd.Run("umount", _temp.Combine("xfs")).EnsureSuccess("umount xfs");
            }
        }
        finally
        {
            Cmd.Run("umount", _temp.Combine("ext4")).EnsureSuccess("umount ext4");
        }
    }

    /// <summary>A new file system of <paramref name="name"/> on a 512 MiB sparse file, mounted (loop) at <c>name/</c> in the temp dir.</summary>
    private string Mount(string name, string mkfs, params string[] options)
    {
        var image = _temp.Combine(name + ".img");
        var mount = Directory.CreateDirectory(_temp.Combine(name)).FullName;
        Cmd.Run("truncate", "-s", "512M", image).EnsureSuccess("truncate");
        Cmd.Run(mkfs, [.. options, image]).EnsureSuccess(mkfs);
        Cmd.Run("mount", "-o", "loop", image, mount).EnsureSuccess($"mount {name}");
        return mount;
    }

    /// <summary>Writes a prefix file of random bytes into <paramref name="dir"/>.</summary>
    private static (string Path, byte[] Bytes) Prefix(string dir, int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        var path = Path.Combine(dir, "member.gz");
        File.WriteAllBytes(path, bytes);
        return (path, bytes);
    }

    /// <summary>A committed file: the prefix, then "node member"; returns how the prefix went in.</summary>
    private static PrefixedFile.Method Write(string target, string prefix, IReadOnlyCollection<PrefixedFile.Method> methods)
    {
        using var pending = PendingFile.For(target);
        var opened = PrefixedFile.Open(pending, prefix, methods);
        using (var stream = opened.Stream)
        {
            Assert.Equal(new FileInfo(prefix).Length, opened.PrefixLength);
            stream.Write("node member"u8);
        }

        pending.Commit();
        return opened.Method;
    }
}
