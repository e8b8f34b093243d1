using KubeAirgap.Diagnostics;
using KubeAirgap.Fetch;
using KubeAirgap.Content.Download;
using KubeAirgap.Layout;
using KubeAirgap.Nginx;
using KubeAirgap.Pins;
using KubeAirgap.Tests.Fetch.Fixtures;
using KubeAirgap.Tests.Nginx.Fixtures;
using KubeAirgap.Tests.Support;
using KubeAirgap.Content;

namespace KubeAirgap.Tests.Nginx;

/// <summary>
/// Fetch and Nginx together: the real nginx 1.22.1 release served by a loopback mirror with a detached OpenPGP
/// signature made by a throw-away key (Debian ships no .asc), fetched, checked and staged by the Fetch code, then
/// located and built by the Nginx code.
/// </summary>
[Collection(NginxBuildCollection.Name)]
public sealed class FetchThenNginxTests(NginxBuildFixture fixture)
{
    private const string Kubernetes = "1.36.3";

    [Fact]
    public async Task Should_Build_The_Source_Fetch_Verified_And_Staged()
    {
        // Given a mirror serving the release, its signature, and the one other artifact every node needs
        await using var server = await MirrorServer.StartAsync();
        using var dir = new TempDirectory("kag-nginx-fetch");
        var signer = new PgpTestKey("nginx test signer <signer@example.org>");
        Directory.CreateDirectory(dir.Combine("pgp"));
        signer.WritePublicKey(dir.Combine("pgp", "signer.key"));
        var asc = signer.Sign(NginxBuildFixture.SourceTarball, dir.Combine("nginx-1.22.1.tar.gz.asc"));
        var tarballUrl = server.Add("download/nginx-1.22.1.tar.gz", File.ReadAllBytes(NginxBuildFixture.SourceTarball));
        var ascUrl = server.Add("download/nginx-1.22.1.tar.gz.asc", File.ReadAllBytes(asc));
        var kubectl = "#!/bin/sh\necho kubectl\n"u8.ToArray();
        var kubectlUrl = server.Add("k8s/kubectl", kubectl);
        var arch = TargetArch.Host.Name;
        var pins = Pins($"""
            schemaVersion: 1
            releases:
            - kubernetes: {Kubernetes}
              components:
                nginx: {NginxBuildFixture.Version}
            components:
            - name: kubectl
              version: {Kubernetes}
              layout:
                type: file
                files:
                - member: kubectl
                  path: bin/kubectl
                  mode: '0755'
              artifacts:
                {arch}:
                  url: {kubectlUrl}
                  sha256: {Sha256Hex.Of(kubectl)}
            - name: nginx
              version: {NginxBuildFixture.Version}
              license: BSD-2-Clause
              layout:
                type: source
                files: []
              artifacts:
                noarch:
                  url: {tarballUrl}
                  sha256: {NginxBuildFixture.SourceSha256}
                  signature:
                    url: {ascUrl}
                    keys:
                    - pgp/signer.key
            """);
        var payload = new PayloadKey(arch, []);
        var payloadDir = dir.Combine("payload", payload.Name);

        // When Fetch fetches and stages, and Nginx builds what it staged
        var plan = FetchPlan.For(pins, Kubernetes, [payload], "test-pins.yaml");
        using (var downloader = new VerifiedDownloader(new ArtifactCache(dir.Combine("cache")), new DownloadOptions { Retries = 1, RetryDelay = TimeSpan.FromMilliseconds(10) }))
        {
            var fetched = await new Fetcher(downloader, MirrorMap.None, 2, dir.Path).FetchAsync(plan, offline: false, cancellationToken: TestContext.Current.CancellationToken);
            Stager.Stage(plan, fetched, _ => payloadDir);
        }

        var source = NginxSource.Locate(pins, Kubernetes, payloadDir, explicitTarball: null, dir.Path);
        File.WriteAllText(fixture.InvocationLog, string.Empty);
        var build = NginxBuilder.Build(source.TarballPath, source.Sha256, fixture.Options());
        KubeNginxPayload.Publish(build, payloadDir);

        // Then the signature was checked by the signer's key, and the binary is the one built from those bytes
        Assert.Equal(signer.Fingerprint, source.SignedBy, ignoreCase: true);
        Assert.Equal(dir.Combine("cache", "sha256", NginxBuildFixture.SourceSha256), source.TarballPath);
        Assert.True(build.CacheHit);
        Assert.DoesNotContain(File.ReadAllLines(fixture.InvocationLog), l => l.StartsWith("make", StringComparison.Ordinal));
        Assert.Equal(fixture.First.Metadata.Sha256, Sha256Hex.OfFile(KubeNginxPayload.BinaryPath(payloadDir)));
        Assert.True(File.Exists(Path.Combine(payloadDir, "bin", "kubectl")));
        Assert.True(File.Exists(KubeNginxPayload.MetadataPath(payloadDir)));
    }

    private static PinsFile Pins(string yaml)
    {
        var diagnostics = new DiagnosticBag();
        var pins = PinsLoader.Parse(yaml, diagnostics, "test-pins.yaml");
        diagnostics.ThrowIfErrors("test-pins.yaml");
        return pins!;
    }
}
