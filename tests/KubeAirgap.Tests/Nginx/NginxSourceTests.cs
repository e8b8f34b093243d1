using KubeAirgap.Diagnostics;
using KubeAirgap.Fetch;
using KubeAirgap.Nginx;
using KubeAirgap.Pins;
using KubeAirgap.Tests.Nginx.Fixtures;
using KubeAirgap.Tests.Support;
using KubeAirgap.Content;

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
        var source = NginxSource.Locate(TestPins(), Kubernetes, payload, explicitTarball: null, Repo.Root);

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
        var e = Assert.Throws<KubeNginxException>(() => NginxSource.Locate(TestPins(), Kubernetes, dir.Path, explicitTarball: null, Repo.Root));

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
        var e = Assert.Throws<KubeNginxException>(() => NginxSource.Locate(TestPins(), Kubernetes, payload, explicitTarball: null, Repo.Root));

        // Then
        Assert.Contains("is stale", e.Message, StringComparison.Ordinal);
        Assert.Contains("nginx 1.20.2", e.Message, StringComparison.Ordinal);
        Assert.Contains($"pins {NginxBuildFixture.Version}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Finding7_Nginx_Source_Setting_Is_Verified_By_The_Pinned_Keys_Like_A_Fetched_Source()
    {
        // Given nothing staged; a local copy of the source; pins that trust one test key
        using var dir = new TempDirectory("kag-nginx-src");
        var tarball = dir.Combine("nginx.tar.gz");
        File.Copy(NginxBuildFixture.SourceTarball, tarball);
        var trusted = new KubeAirgap.Tests.Fetch.Fixtures.PgpTestKey("trusted <t@example.invalid>");
        var stranger = new KubeAirgap.Tests.Fetch.Fixtures.PgpTestKey("stranger <s@example.invalid>");
        trusted.WritePublicKey(dir.Combine("trusted.key"));
        var text = File.ReadAllText(Repo.File("pins.yaml"))
            .Replace("1.30.4", NginxBuildFixture.Version, StringComparison.Ordinal)
            .Replace("4261dc90e9e47c1c4041276e9aaa3d48ebe2e664f728e14fa95ae6c67d57a08b", NginxBuildFixture.SourceSha256, StringComparison.Ordinal)
            .Replace("        - pgp/arut.key\n        - pgp/pluknet.key\n        - pgp/thresh.key\n", "        - trusted.key\n", StringComparison.Ordinal);
        var pins = PinsLoader.Parse(text, new DiagnosticBag())!;

        // When: no signature; a stranger's signature; the trusted key's signature
        var unsigned = Assert.Throws<KubeNginxException>(() => NginxSource.Locate(pins, Kubernetes, dir.Path, tarball, dir.Path));
        stranger.Sign(tarball, tarball + ".asc");
        var forged = Assert.Throws<KubeNginxException>(() => NginxSource.Locate(pins, Kubernetes, dir.Path, tarball, dir.Path));
        trusted.Sign(tarball, tarball + ".asc");
        var source = NginxSource.Locate(pins, Kubernetes, dir.Path, tarball, dir.Path);

        // Then
        Assert.Contains("signature", unsigned.Message, StringComparison.Ordinal);
        Assert.Contains(tarball + ".asc", unsigned.Message, StringComparison.Ordinal);
        Assert.Contains("not among the trusted keys", forged.Message, StringComparison.Ordinal);
        Assert.Equal(tarball, source.TarballPath);
        Assert.Equal(NginxBuildFixture.SourceSha256, source.Sha256);
        Assert.Equal(trusted.Fingerprint, source.SignedBy);
    }

    [Fact]
    public void Finding7_A_Source_Artifact_Without_A_Signature_Is_Refused_By_Pins()
    {
        // Given the shipped pins with the nginx signature block removed
        var lines = File.ReadAllLines(Repo.File("pins.yaml")).ToList();
        var start = lines.FindIndex(l => l.Trim() == "signature:");
        var indent = lines[start].Length - lines[start].TrimStart().Length;
        var end = lines.FindIndex(start + 1, l => l.Length - l.TrimStart().Length <= indent);
        lines.RemoveRange(start, (end < 0 ? lines.Count : end) - start);
        var diagnostics = new DiagnosticBag();

        // When
        PinsLoader.Parse(string.Join('\n', lines), diagnostics, "pins.yaml");

        // Then: refused, at the artifact's line
        var error = Assert.Single(diagnostics.Errors);
        Assert.Contains("nginx 1.30.4 (noarch) is a source artifact without a 'signature:'", error.Message, StringComparison.Ordinal);
        Assert.True(error.Line > 0);
    }
}
