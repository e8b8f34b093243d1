using System.Text.RegularExpressions;
using KubeAirgap.Nginx;
using KubeAirgap.Tests.Nginx.Fixtures;
using KubeAirgap.Tests.Support;
using KubeAirgap.Content;

namespace KubeAirgap.Tests.Nginx;

public sealed partial class NginxBuilderTests
{
    [Collection(NginxBuildCollection.Name)]
    public sealed class TheBuildMethod(NginxBuildFixture fixture)
    {
        [Fact]
        public void Should_Compile_On_A_Cold_Cache()
        {
            // Given a fresh cache (the fixture's first build)
            // Then the compiler and make really ran
            Assert.False(fixture.First.CacheHit);
            Assert.Contains(fixture.FirstInvocations, l => l.StartsWith("make ", StringComparison.Ordinal));
            Assert.Contains(fixture.FirstInvocations, l => l.StartsWith("cc ", StringComparison.Ordinal) && l.Contains(" -c ", StringComparison.Ordinal));
            Assert.True(File.Exists(Path.Combine(fixture.LogDir, $"kube-nginx-{TargetArch.Host.Name}-make.log")));
        }

        [Fact]
        public void Should_Compile_Nothing_When_The_Key_Is_Cached()
        {
            // Given the same source, flags, compiler and arch a second time
            // Then the cache answered: nothing was compiled, make never ran; only the identity probes touched cc
            Assert.True(fixture.Second.CacheHit);
            Assert.Equal(fixture.First.CacheEntry, fixture.Second.CacheEntry);
            Assert.Contains("cc --version", fixture.SecondInvocations);
            Assert.DoesNotContain(fixture.SecondInvocations, l => l.StartsWith("make", StringComparison.Ordinal));
            Assert.All(fixture.SecondInvocations, l => Assert.True(l is "cc --version" or "cc -dumpmachine", $"unexpected compiler run on a cache hit: {l}"));
            Assert.Equal(fixture.First.Metadata, fixture.Second.Metadata, MetadataComparer.Instance);
        }

        [Fact]
        public void Should_Show_The_Guide_Configure_Flags_In_Dash_V()
        {
            // When
            var result = Cmd.Run(fixture.Second.BinaryPath, "-V").EnsureSuccess("kube-nginx -V");

            // Then (nginx prints -V on stderr)
            Assert.Contains($"nginx version: nginx/{NginxBuildFixture.Version}", result.Output, StringComparison.Ordinal);
            var configure = result.Output.Split('\n').Single(l => l.StartsWith("configure arguments:", StringComparison.Ordinal));
            foreach (var flag in ConfigureFlags.Guide.Append("--prefix=/var/lib/kube-nginx"))
            {
                Assert.Contains(flag, configure, StringComparison.Ordinal);
            }

            Assert.Contains("--with-ld-opt=-s", configure, StringComparison.Ordinal);
            Assert.Equal(string.Join(' ', fixture.Second.Metadata.ConfigureArgs), configure["configure arguments:".Length..].Trim());
        }

        [Fact]
        public void Should_Depend_On_Libc_Only_And_Record_The_Highest_Glibc_Version_Readelf_Sees()
        {
            // Given readelf's view of the same binary
            var dynamic = Cmd.Run("readelf", "-d", fixture.Second.BinaryPath).EnsureSuccess("readelf -d").Stdout;
            var versions = Cmd.Run("readelf", "-V", fixture.Second.BinaryPath).EnsureSuccess("readelf -V").Stdout;
            var readelfNeeded = NeededLine().Matches(dynamic).Select(m => m.Groups[1].Value).ToList();
            var readelfGlibc = GlibcName().Matches(versions).Select(m => Version.Parse(m.Groups[1].Value)).Max();

            // When
            var elf = ElfFile.Read(fixture.Second.BinaryPath);
            var metadata = fixture.Second.Metadata;

            // Then
            Assert.Equal(["libc.so.6"], elf.Needed);
            var sections = Cmd.Run("readelf", "-S", "-W", fixture.Second.BinaryPath).EnsureSuccess("readelf -S").Stdout;
            Assert.DoesNotContain(".symtab", sections, StringComparison.Ordinal);
            Assert.DoesNotContain(".debug_info", sections, StringComparison.Ordinal);
            Assert.Equal(readelfNeeded, elf.Needed);
            Assert.Equal(readelfGlibc!.ToString(), metadata.Glibc);
            Assert.Equal(["libc.so.6"], metadata.NeededLibraries);
            Assert.Equal(Sha256Hex.OfFile(fixture.Second.BinaryPath), metadata.Sha256);
            Assert.Equal(NginxBuildFixture.SourceSha256, metadata.SourceSha256);
            Assert.Equal(NginxBuildFixture.Version, metadata.Version);
            var ccVersion = Cmd.Run("cc", "--version").EnsureSuccess("cc --version").Stdout.Split('\n')[0].Trim();
            Assert.StartsWith(ccVersion, metadata.Compiler, StringComparison.Ordinal);
        }
    }

    [Collection(NginxBuildCollection.Name)]
    public sealed class ThePrebuiltMethod(NginxBuildFixture fixture)
    {
        [Fact]
        public void Should_Accept_A_Portable_Binary_Of_The_Pinned_Version_Only()
        {
            // When
            var prebuilt = NginxBuilder.Prebuilt(fixture.First.BinaryPath, TargetArch.Host.Name, NginxBuildFixture.Version, fixture.First.Metadata.Sha256);
            var wrongVersion = Assert.Throws<KubeNginxException>(() => NginxBuilder.Prebuilt(fixture.First.BinaryPath, TargetArch.Host.Name, "1.30.4", fixture.First.Metadata.Sha256));

            // Then
            Assert.Equal(fixture.First.Metadata.Sha256, prebuilt.Metadata.Sha256);
            Assert.Equal(fixture.First.Metadata.Glibc, prebuilt.Metadata.Glibc);
            Assert.Contains("nginx/1.30.4", wrongVersion.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_Refuse_A_Binary_That_Needs_More_Than_Libc()
        {
            // Given Debian's openssl, which links libssl and libcrypto
            var openssl = Toolchain.Which("openssl", NginxBuildFixture.HostPath)!;

            // When
            var e = Assert.Throws<KubeNginxException>(() => NginxBuilder.Prebuilt(openssl, TargetArch.Host.Name, NginxBuildFixture.Version, Sha256Hex.OfFile(openssl)));

            // Then
            Assert.Contains("libssl.so.3", e.Message, StringComparison.Ordinal);
            Assert.Contains("libc only", e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_Refuse_A_Binary_Of_Another_Arch()
        {
            // Given the host binary presented as the other arch's
            var other = TargetArch.All.First(a => a != TargetArch.Host);

            // When
            var e = Assert.Throws<KubeNginxException>(() => NginxBuilder.Prebuilt(fixture.First.BinaryPath, other.Name, NginxBuildFixture.Version, fixture.First.Metadata.Sha256));

            // Then
            Assert.Contains($"not {other.Name}", e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Finding7_Prebuilt_KubeNginx_Needs_A_Pinned_Sha256()
        {
            // When: no pin, and a pin of other bytes
            var unpinned = Assert.Throws<KubeNginxException>(() => NginxBuilder.Prebuilt(fixture.First.BinaryPath, TargetArch.Host.Name, NginxBuildFixture.Version, null));
            var wrong = Assert.Throws<KubeNginxException>(() => NginxBuilder.Prebuilt(fixture.First.BinaryPath, TargetArch.Host.Name, NginxBuildFixture.Version, new string('0', 64)));

            // Then
            Assert.Contains($"[Nginx] PrebuiltSha256_{TargetArch.Host.Name}={fixture.First.Metadata.Sha256}", unpinned.Message, StringComparison.Ordinal);
            Assert.Contains("is not pinned", unpinned.Message, StringComparison.Ordinal);
            Assert.Contains($"pinned {new string('0', 64)}, actual {fixture.First.Metadata.Sha256}", wrong.Message, StringComparison.Ordinal);
        }
    }

    [GeneratedRegex(@"\(NEEDED\)\s+Shared library: \[([^\]]+)\]")]
    private static partial Regex NeededLine();

    [GeneratedRegex(@"Name: GLIBC_(\d+\.\d+(?:\.\d+)?)\b")]
    private static partial Regex GlibcName();

    private sealed class MetadataComparer : IEqualityComparer<KubeNginxMetadata>
    {
        public static readonly MetadataComparer Instance = new();

        public bool Equals(KubeNginxMetadata? x, KubeNginxMetadata? y) => x?.ToJson() == y?.ToJson();

        public int GetHashCode(KubeNginxMetadata obj) => obj.ToJson().GetHashCode(StringComparison.Ordinal);
    }
}
