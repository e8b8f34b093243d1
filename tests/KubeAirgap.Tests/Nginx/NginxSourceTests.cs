using KubeAirgap.Diagnostics;
using KubeAirgap.Fetch;
using KubeAirgap.Nginx;
using KubeAirgap.Pins;
using KubeAirgap.Tests.Nginx.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Nginx;

/// <summary>
/// How the Nginx task finds the verified source: pins.yaml names version and digest, Fetch leaves the tarball in its
/// content-addressed cache and a <see cref="StagedSource"/> record in each payload.
/// </summary>
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

    /// <summary>What Fetch leaves: the tarball in the cache by digest, and the record in the payload.</summary>
    private static string Stage(TempDirectory dir, string version, string sha256)
    {
        var cache = new ArtifactCache(dir.Combine("cache"));
        var stored = cache.Add(NginxBuildFixture.SourceTarball, Digest.Sha256(NginxBuildFixture.SourceSha256));
        var payload = dir.Combine("payload", "amd64-worker");
        new StagedSource("nginx", version, "BSD-2-Clause", $"https://nginx.org/download/nginx-{version}.tar.gz", $"sha256:{sha256}",
            stored, stored + ".asc", "43387825DDB1BB97EC36BA5D007C8D7C15D87369").Write(payload);
        return payload;
    }

    [Fact]
    public void Should_Use_The_Tarball_Fetch_Staged()
    {
        // Given
        using var dir = new TempDirectory("kag-nginx-src");
        var payload = Stage(dir, NginxBuildFixture.Version, NginxBuildFixture.SourceSha256);

        // When
        var source = NginxSource.Locate(TestPins(), Kubernetes, payload, explicitTarball: null);

        // Then
        Assert.Equal(NginxBuildFixture.Version, source.Version);
        Assert.Equal(NginxBuildFixture.SourceSha256, source.Sha256);
        Assert.Equal(dir.Combine("cache", "sha256", NginxBuildFixture.SourceSha256), source.TarballPath);
        Assert.Equal("43387825DDB1BB97EC36BA5D007C8D7C15D87369", source.SignedBy);
    }

    [Fact]
    public void Should_Say_To_Run_Fetch_When_Nothing_Was_Staged()
    {
        // Given an empty payload
        using var dir = new TempDirectory("kag-nginx-src");

        // When
        var e = Assert.Throws<KubeNginxException>(() => NginxSource.Locate(TestPins(), Kubernetes, dir.Path, explicitTarball: null));

        // Then
        Assert.Contains($"sha256:{NginxBuildFixture.SourceSha256}", e.Message, StringComparison.Ordinal);
        Assert.Contains("--target=Fetch", e.Message, StringComparison.Ordinal);
        Assert.Contains("[Nginx] Source=", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_Refuse_A_Staged_Record_Of_Another_Pin()
    {
        // Given a record left by a Fetch run against older pins
        using var dir = new TempDirectory("kag-nginx-src");
        var payload = Stage(dir, "1.20.2", NginxBuildFixture.SourceSha256);

        // When
        var e = Assert.Throws<KubeNginxException>(() => NginxSource.Locate(TestPins(), Kubernetes, payload, explicitTarball: null));

        // Then
        Assert.Contains("is stale", e.Message, StringComparison.Ordinal);
        Assert.Contains("nginx 1.20.2", e.Message, StringComparison.Ordinal);
        Assert.Contains($"pins {NginxBuildFixture.Version}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_Use_An_Explicit_Tarball_Held_To_The_Pinned_Digest()
    {
        // Given nothing staged, and the production pins (nginx 1.30.4)
        using var dir = new TempDirectory("kag-nginx-src");
        var production = PinsLoader.LoadValid(Repo.File("pins.yaml"));

        // When
        var source = NginxSource.Locate(TestPins(), Kubernetes, dir.Path, NginxBuildFixture.SourceTarball);
        var wrong = NginxSource.Locate(production, Kubernetes, dir.Path, NginxBuildFixture.SourceTarball);
        var e = Assert.Throws<KubeNginxException>(() => NginxBuilder.Build(wrong.TarballPath, wrong.Sha256, new NginxBuildOptions
        {
            CacheDir = dir.Combine("cache"),
            WorkDir = dir.Combine("work"),
            LogDir = dir.Combine("logs"),
            TargetArch = TargetArch.Host.Name,
        }));

        // Then the builder checks the file against the pin: 1.22.1's bytes are not 1.30.4's
        Assert.Equal(NginxBuildFixture.SourceTarball, source.TarballPath);
        Assert.Equal(NginxBuildFixture.SourceSha256, source.Sha256);
        Assert.Contains($"actual {NginxBuildFixture.SourceSha256}", e.Message, StringComparison.Ordinal);
    }
}
