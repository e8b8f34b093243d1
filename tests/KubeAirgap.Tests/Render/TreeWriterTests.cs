using KubeAirgap.Render;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Render;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TreeWriterTests
{
    [Fact]
    public void Should_write_modes_keep_other_files_and_remove_files_no_longer_rendered()
    {
        // Given: a node tree where the PKI step already wrote a key
        using var temp = new TempDirectory("kag-tree");
        var tree = temp.Combine("nodes", "n1");
        var key = temp.Write("nodes/n1/pki/ca.key", "secret");
        RenderedFile[] first =
        [
            new("etc/a.conf", Convert.ToInt32("0644", 8), "a\n"),
            new("etc/old.conf", Convert.ToInt32("0600", 8), "old\n"),
        ];

        // When
        Assert.Equal(2, TreeWriter.Write(tree, first));
        var unchanged = TreeWriter.Write(tree, first);
        var second = TreeWriter.Write(tree, [first[0] with { Content = "b\n" }]);

        // Then
        Assert.Equal(0, unchanged);
        Assert.Equal(2, second); // a.conf rewritten, old.conf removed
        Assert.Equal("b\n", File.ReadAllText(Path.Combine(tree, "etc", "a.conf")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(Path.Combine(tree, "etc", "a.conf")));
        Assert.False(File.Exists(Path.Combine(tree, "etc", "old.conf")));
        Assert.Equal("secret", File.ReadAllText(key));
        Assert.Empty(Directory.GetFiles(tree, ".*", SearchOption.AllDirectories));
    }
}
