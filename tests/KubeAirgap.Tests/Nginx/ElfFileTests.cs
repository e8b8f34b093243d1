using System.Text.RegularExpressions;
using KubeAirgap.Nginx;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Nginx;

/// <summary>The C# ELF reader against readelf, on binaries of this machine.</summary>
public sealed partial class ElfFileTests
{
    public static TheoryData<string> Binaries => new(["/usr/bin/openssl", "/usr/bin/make", "/bin/busybox"]);

    [Theory]
    [MemberData(nameof(Binaries))]
    public void Should_Read_The_Same_Needed_Libraries_And_Versions_As_Readelf(string path)
    {
        // Given
        Assert.SkipUnless(File.Exists(path), $"{path} is not installed");
        var dynamic = Cmd.Run("readelf", "-d", "-W", path).EnsureSuccess("readelf -d").Stdout;
        var versions = Cmd.Run("readelf", "-V", "-W", path).EnsureSuccess("readelf -V").Stdout;

        // When
        var elf = ElfFile.Read(path);

        // Then
        Assert.Equal(NeededLine().Matches(dynamic).Select(m => m.Groups[1].Value), elf.Needed);
        var readelfNeeds = VersionNeedName().Matches(versions).Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal);
        Assert.Equal(readelfNeeds, elf.VersionNames.Order(StringComparer.Ordinal));
        Assert.Equal(TargetArch.Host.Machine, elf.Machine);
    }

    [Fact]
    public void Should_Find_No_Libraries_In_A_Static_Binary()
    {
        // Given Debian's busybox-static
        Assert.SkipUnless(File.Exists("/bin/busybox"), "busybox-static is not installed");

        // When
        var report = Portability.Check(ElfFile.Read("/bin/busybox"), TargetArch.Host);

        // Then
        Assert.Empty(report.NeededLibraries);
        Assert.Null(report.Glibc);
        Assert.True(report.IsPortable);
    }

    [Fact]
    public void Should_Reject_A_File_That_Is_Not_Elf()
    {
        // Given
        using var dir = new TempDirectory("kag-elf");
        var script = dir.Write("script.sh", "#!/bin/sh\necho hi\n");

        // When
        var e = Assert.Throws<KubeNginxException>(() => ElfFile.Read(script));

        // Then
        Assert.Contains("not a well-formed ELF file", e.Message, StringComparison.Ordinal);
        Assert.Contains(script, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("libc.so.6", true)]
    [InlineData("ld-linux-x86-64.so.2", true)]
    [InlineData("ld-linux-aarch64.so.1", true)]
    [InlineData("libpcre2-8.so.0", false)]
    [InlineData("libcrypt.so.1", false)]
    [InlineData("libz.so.1", false)]
    public void Should_Allow_Only_Libc_And_The_Loader(string library, bool allowed) =>
        Assert.Equal(allowed, Portability.IsAllowed(library));

    [GeneratedRegex(@"\(NEEDED\)\s+Shared library: \[([^\]]+)\]")]
    private static partial Regex NeededLine();

    // readelf -V prints needed versions as "  0x0010:   Name: GLIBC_2.34  Flags: none  Version: 3" under .gnu.version_r
    [GeneratedRegex(@"0x[0-9a-f]+:\s+Name: (\S+)\s+Flags:")]
    private static partial Regex VersionNeedName();
}
