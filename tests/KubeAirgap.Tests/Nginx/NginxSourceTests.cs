using KubeAirgap.Diagnostics;
using KubeAirgap.Fetch;
using KubeAirgap.Nginx;
using KubeAirgap.Pins;
using KubeAirgap.Tests.Nginx.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Nginx;

/// <summary>How the Nginx task finds the verified source: pins.yaml names version and sha256, the Fetch cache holds the bytes.</summary>
public sealed class NginxSourceTests
{
    private const string Kubernetes = "1.36.3";

    /// <summary>The production pins with nginx moved to the release this machine has the source of.</summary>
    private static PinsFile TestPins()
    {
        var text = File.ReadAllText(Repo.File("pins.yaml"))
            .Replace("1.30.4", NginxBuildFixture.Version, StringComparison.Ordinal)
            .Replace("4261dc90e9e47c1c4041276e9aaa3d48ebe2e664f728e14fa95ae6c67d57a08b", NginxBuildFixture.SourceSha256, StringComparison.Ordinal);
        var diagnostics = new DiagnosticBag();
        var pins = PinsLoader.Parse(text, diagnostics);
        diagnostics.ThrowIfErrors("test pins");
        return pins!;
    }

    [Fact]
    public void Should_Find_The_Pinned_Tarball_In_The_Fetch_Cache()
    {
        // Given the tarball stored by digest, as Fetch leaves it
        using var dir = new TempDirectory("kag-nginx-src");
        var cache = new ArtifactCache(dir.Combine("cache"));
        var stored = cache.Add(NginxBuildFixture.SourceTarball, Digest.Sha256(NginxBuildFixture.SourceSha256));

        // When
        var source = NginxSource.Locate(TestPins(), Kubernetes, cache, explicitTarball: null);

        // Then
        Assert.Equal(new NginxSource(NginxBuildFixture.Version, NginxBuildFixture.SourceSha256, stored), source);
    }

    [Fact]
    public void Should_Say_To_Run_Fetch_When_The_Cache_Lacks_It()
    {
        // Given an empty cache
        using var dir = new TempDirectory("kag-nginx-src");
        var cache = new ArtifactCache(dir.Combine("cache"));

        // When
        var e = Assert.Throws<KubeNginxException>(() => NginxSource.Locate(TestPins(), Kubernetes, cache, explicitTarball: null));

        // Then
        Assert.Contains($"sha256:{NginxBuildFixture.SourceSha256}", e.Message, StringComparison.Ordinal);
        Assert.Contains("--target=Fetch", e.Message, StringComparison.Ordinal);
        Assert.Contains("[Nginx] Source=", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_Use_An_Explicit_Tarball_With_The_Pinned_Sha256()
    {
        // Given an empty cache and an explicit file
        using var dir = new TempDirectory("kag-nginx-src");
        var cache = new ArtifactCache(dir.Combine("cache"));

        // When
        var source = NginxSource.Locate(TestPins(), Kubernetes, cache, NginxBuildFixture.SourceTarball);

        // Then the builder will still check the file against the pinned sha256
        Assert.Equal(NginxBuildFixture.SourceTarball, source.TarballPath);
        Assert.Equal(NginxBuildFixture.SourceSha256, source.Sha256);
    }
}
