using KubeAirgap.Nginx;
using KubeAirgap.Tests.Nginx.Fixtures;
using KubeAirgap.Tests.Support;
using KubeAirgap.Content;

namespace KubeAirgap.Tests.Nginx;

/// <summary>What a user sees when kube-nginx cannot be built: each message says what is wrong and what to do.</summary>
public sealed class NginxBuildErrorTests
{
    private static NginxBuildOptions Options(TempDirectory dir, string? arch = null) => new()
    {
        CacheDir = dir.Combine("cache"),
        WorkDir = dir.Combine("work"),
        LogDir = dir.Combine("logs"),
        TargetArch = arch ?? TargetArch.Host.Name,
        MakeJobs = 2,
    };

    [Fact]
    public void Should_Name_The_Packages_To_Install_When_There_Is_No_Compiler_Or_Make()
    {
        // Given a PATH with neither cc nor make
        using var dir = new TempDirectory("kag-nginx-err");
        Directory.CreateDirectory(dir.Combine("empty-bin"));
        var options = Options(dir) with { SearchPath = dir.Combine("empty-bin") };

        // When
        var e = Assert.Throws<KubeNginxException>(() => NginxBuilder.Build(NginxBuildFixture.SourceTarball, NginxBuildFixture.SourceSha256, options));

        // Then
        Assert.Contains("C compiler 'cc'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'make'", e.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install build-essential", e.Message, StringComparison.Ordinal);
        Assert.Contains("dnf install gcc make", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.Combine("cache", "builds")));
    }

    [Fact]
    public void Should_Show_The_Last_40_Lines_And_The_Log_Path_When_Configure_Fails()
    {
        // Given a source release with a file of its configure machinery missing
        using var dir = new TempDirectory("kag-nginx-err");
        var tarball = Corrupt(dir, "nginx-1.22.1/auto/cc/gcc");
        var options = Options(dir);

        // When
        var e = Assert.Throws<KubeNginxException>(() => NginxBuilder.Build(tarball, Sha256Hex.OfFile(tarball), options));

        // Then the message has the tail of configure's output and the full log's path
        var log = Path.Combine(options.LogDir, $"kube-nginx-{TargetArch.Host.Name}-configure.log");
        Assert.Equal(log, e.LogPath);
        Assert.True(File.Exists(log));
        Assert.Contains("nginx ./configure failed", e.Message, StringComparison.Ordinal);
        Assert.Contains($"Full log: {log}", e.Message, StringComparison.Ordinal);
        Assert.Contains("auto/cc/gcc", e.Message, StringComparison.Ordinal);
        var tail = string.Join(Environment.NewLine, File.ReadAllLines(log).TakeLast(BuildStep.TailLines));
        Assert.Contains($"Last {BuildStep.TailLines} lines of its output:{Environment.NewLine}{tail}{Environment.NewLine}Full log:", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.Combine("cache", "builds", "kube-nginx")) && Directory.EnumerateFileSystemEntries(dir.Combine("cache", "builds", "kube-nginx")).Any());
    }

    [Fact]
    public void Should_Say_How_To_Provide_A_Cross_Toolchain_Or_A_Prebuilt_Binary_For_A_Foreign_Arch()
    {
        // Given a node arch other than the build machine's and no cross compiler configured
        using var dir = new TempDirectory("kag-nginx-err");
        var foreign = TargetArch.All.First(a => a != TargetArch.Host);

        // When
        var e = Assert.Throws<KubeNginxException>(() =>
            NginxBuilder.Build(NginxBuildFixture.SourceTarball, NginxBuildFixture.SourceSha256, Options(dir, foreign.Name)));

        // Then
        Assert.Contains($"node arch {foreign.Name} differs from the build machine's ({TargetArch.Host.Name})", e.Message, StringComparison.Ordinal);
        Assert.Contains($"CrossCc_{foreign.Name}={foreign.CrossCompiler}", e.Message, StringComparison.Ordinal);
        Assert.Contains(foreign.DebianCrossPackage, e.Message, StringComparison.Ordinal);
        Assert.Contains($"Prebuilt_{foreign.Name}=", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_Name_The_Cross_Compiler_Package_When_The_Configured_One_Is_Not_Installed()
    {
        // Given a cross compiler configured for the foreign arch, absent from PATH
        using var dir = new TempDirectory("kag-nginx-err");
        var foreign = TargetArch.All.First(a => a != TargetArch.Host);
        var options = Options(dir, foreign.Name) with
        {
            CrossCompilers = new Dictionary<string, string> { [foreign.Name] = "kag-no-such-" + foreign.CrossCompiler },
        };

        // When
        var e = Assert.Throws<KubeNginxException>(() => NginxBuilder.Build(NginxBuildFixture.SourceTarball, NginxBuildFixture.SourceSha256, options));

        // Then
        Assert.Contains($"C compiler 'kag-no-such-{foreign.CrossCompiler}'", e.Message, StringComparison.Ordinal);
        Assert.Contains($"apt-get install {foreign.DebianCrossPackage}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_Refuse_A_Cross_Compiler_That_Builds_For_Another_Arch()
    {
        // Given the host compiler configured as the foreign arch's cross compiler
        using var dir = new TempDirectory("kag-nginx-err");
        var foreign = TargetArch.All.First(a => a != TargetArch.Host);
        var options = Options(dir, foreign.Name) with { CrossCompilers = new Dictionary<string, string> { [foreign.Name] = "cc" } };

        // When
        var e = Assert.Throws<KubeNginxException>(() => NginxBuilder.Build(NginxBuildFixture.SourceTarball, NginxBuildFixture.SourceSha256, options));

        // Then
        Assert.Contains($"compiler 'cc' builds for {TargetArch.Host.GnuTriple.Split('-')[0]}", e.Message, StringComparison.Ordinal);
        Assert.Contains($"needs {foreign.GnuTriple}", e.Message, StringComparison.Ordinal);
        Assert.Contains($"CrossCc_{foreign.Name}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_Name_The_Static_Libc_Package_When_The_Toolchain_Cannot_Link_Statically()
    {
        // Given a cc that refuses -static (as gcc does without libc.a)
        using var dir = new TempDirectory("kag-nginx-err");
        var real = Toolchain.Which("cc", NginxBuildFixture.HostPath)!;
        var cc = dir.Write("bin/cc", $"#!/bin/sh\ncase \" $* \" in *' -static '*) echo '/usr/bin/ld: cannot find -lc' >&2; exit 1;; esac\nexec '{real}' \"$@\"\n");
        Cmd.Run("chmod", "0755", cc).EnsureSuccess("chmod");
        var options = Options(dir) with { Static = true, SearchPath = $"{dir.Combine("bin")}:{NginxBuildFixture.HostPath}" };

        // When
        var e = Assert.Throws<KubeNginxException>(() => NginxBuilder.Build(NginxBuildFixture.SourceTarball, NginxBuildFixture.SourceSha256, options));

        // Then
        Assert.Contains("cannot link statically", e.Message, StringComparison.Ordinal);
        Assert.Contains("libc6-dev", e.Message, StringComparison.Ordinal);
        Assert.Contains("glibc-static", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_Pass_Static_And_Strip_To_The_Linker_In_One_Argument()
    {
        // Given
        using var dir = new TempDirectory("kag-nginx-err");
        var toolchain = Toolchain.Resolve(Options(dir));

        // When
        var args = ConfigureFlags.For(Options(dir) with { Static = true }, toolchain);
        var plain = ConfigureFlags.For(Options(dir) with { Strip = false }, toolchain);

        // Then
        Assert.Equal("--with-ld-opt=-static -s", args[^1]);
        Assert.Equal(["--prefix=/var/lib/kube-nginx", .. ConfigureFlags.Guide], plain);
    }

    [Fact]
    public void Should_Refuse_A_Source_Tarball_Whose_Sha256_Differs()
    {
        // Given
        using var dir = new TempDirectory("kag-nginx-err");
        var wrong = new string('0', 64);

        // When
        var e = Assert.Throws<KubeNginxException>(() => NginxBuilder.Build(NginxBuildFixture.SourceTarball, wrong, Options(dir)));

        // Then
        Assert.Contains($"expected {wrong}, actual {NginxBuildFixture.SourceSha256}", e.Message, StringComparison.Ordinal);
        Assert.Contains(NginxBuildFixture.SourceTarball, e.Message, StringComparison.Ordinal);
    }

    /// <summary>The real release tarball with one member removed.</summary>
    private static string Corrupt(TempDirectory dir, string member)
    {
        var tree = dir.Combine("src");
        Directory.CreateDirectory(tree);
        Cmd.Run("tar", "-xzf", NginxBuildFixture.SourceTarball, "-C", tree).EnsureSuccess("extract");
        File.Delete(Path.Combine(tree, member));
        var tarball = dir.Combine("nginx-corrupt.tar.gz");
        Cmd.Run("tar", "-czf", tarball, "-C", tree, "nginx-1.22.1").EnsureSuccess("repack");
        return tarball;
    }
}
