using KubeAirgap.Bundle;
using KubeAirgap.Content;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Content;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class AtomicFileTests : IDisposable
{
    private readonly TempDirectory _temp = new("kag-atomic");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Should_leave_another_builds_temporary_file_alone()
    {
        // Given: another build is half-way through writing the same file under the old shared name
        var target = _temp.Combine("out", "bundle-manifest.json");
        var theirs = _temp.Write("out/bundle-manifest.json.tmp", "another build's half-written bytes");

        // When
        AtomicFile.WriteIfChanged(target, "{}\n"u8.ToArray());
        OutputDirectory.WriteAtomic(_temp.Combine("out", "SHA256SUMS"), "sums\n"u8.ToArray(), OutputDirectory.Public);

        // Then
        Assert.Equal("another build's half-written bytes", File.ReadAllText(theirs));
        Assert.Equal("{}\n", File.ReadAllText(target));
    }

    [Fact]
    public void Should_let_concurrent_writers_of_one_file_each_land_a_whole_file()
    {
        // Given
        var target = _temp.Combine("SHA256SUMS");
        var contents = Enumerable.Range(0, 16).Select(i => new string((char)('a' + i), 100_000)).ToList();

        // When
        Parallel.ForEach(contents, c => OutputDirectory.WriteAtomic(target, System.Text.Encoding.ASCII.GetBytes(c), OutputDirectory.Public));

        // Then
        Assert.Contains(File.ReadAllText(target), contents);
        Assert.Equal(["SHA256SUMS"], Directory.GetFiles(_temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Should_write_only_when_content_or_mode_differs()
    {
        // Given
        var target = _temp.Combine("a", "file.conf");
        var wroteFirst = AtomicFile.WriteIfChanged(target, "x=1\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var before = File.GetLastWriteTimeUtc(target);
        File.SetLastWriteTimeUtc(target, before.AddDays(-1));

        // When
        var wroteSame = AtomicFile.WriteIfChanged(target, "x=1\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var timeAfterSame = File.GetLastWriteTimeUtc(target);
        var wroteMode = AtomicFile.WriteIfChanged(target, "x=1\n", UnixFileMode.UserRead);
        var wroteText = AtomicFile.WriteIfChanged(target, "x=2\n", UnixFileMode.UserRead);

        // Then
        Assert.True(wroteFirst);
        Assert.False(wroteSame);
        Assert.Equal(before.AddDays(-1), timeAfterSame);
        Assert.True(wroteMode);
        Assert.True(wroteText);
        Assert.Equal("x=2\n", File.ReadAllText(target));
        Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(target));
    }

    [Fact]
    public void Should_keep_the_old_file_and_no_temporary_when_the_write_fails()
    {
        // Given
        var target = _temp.Write("kept.txt", "old");

        // When
        var error = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(target, stream =>
        {
            stream.Write("half"u8);
            throw new InvalidOperationException("writer failed");
        }));

        // Then
        Assert.Equal("writer failed", error.Message);
        Assert.Equal("old", File.ReadAllText(target));
        Assert.Equal(["kept.txt"], Directory.GetFiles(_temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Should_create_the_file_with_its_final_mode()
    {
        // Given
        var target = _temp.Combine("secret", "ca.key");

        // When
        AtomicFile.Write(target, "key"u8, UnixFileMode.UserRead | UnixFileMode.UserWrite, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        // Then
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(target));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(target)!));
    }
}
