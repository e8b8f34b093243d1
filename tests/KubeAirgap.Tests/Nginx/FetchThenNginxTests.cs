using KubeAirgap.Roles;
using KubeAirgap.Cluster;
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
/// located, built and published into every payload of the arch by the Nginx stage (or a prebuilt binary taken instead).
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
        PayloadKey[] payloads = [new(arch, [NodeRole.Etcd]), new(arch, [NodeRole.Worker])];
        string PayloadDir(PayloadKey key) => dir.Combine("payload", key.Name);
        var log = new List<string>();

        // When Fetch fetches and stages, and the Nginx stage builds what it staged into every payload of the arch
        // (the pins here hold only kubectl and nginx: what every payload carries, staged into both payload folders)
        var plan = FetchPlan.For(pins, Kubernetes, [new PayloadKey(arch, [])], "test-pins.yaml");
        using (var downloader = new VerifiedDownloader(new ArtifactCache(dir.Combine("cache")), new DownloadOptions { Retries = 1, RetryDelay = TimeSpan.FromMilliseconds(10) }))
        {
            var fetched = await new Fetcher(downloader, MirrorMap.None, 2, dir.Path).FetchAsync(plan, offline: false, cancellationToken: TestContext.Current.CancellationToken);
            foreach (var key in payloads)
            {
                Stager.Stage(plan, fetched, _ => PayloadDir(key));
            }
        }

        File.WriteAllText(fixture.InvocationLog, string.Empty);
        var stage = new KubeNginxStage { Options = fixture.Options() with { Log = log.Add }, PinsDirectory = dir.Path };
        var staged = Assert.Single(stage.Run(pins, Kubernetes, payloads, PayloadDir));

        // Then the signature was checked by the signer's key, and the binary is the one built from those bytes, in both payloads
        Assert.Contains(log, l => l.Contains($"nginx {NginxBuildFixture.Version} source: {dir.Combine("cache", "sha256", NginxBuildFixture.SourceSha256)}", StringComparison.Ordinal)
            && l.Contains($"signer {signer.Fingerprint}", StringComparison.OrdinalIgnoreCase));
        Assert.Equal((arch, false, 2), (staged.Arch, staged.Prebuilt, staged.Payloads));
        Assert.True(staged.Build.CacheHit);
        Assert.Contains(staged.Summary, log);
        Assert.DoesNotContain(File.ReadAllLines(fixture.InvocationLog), l => l.StartsWith("make", StringComparison.Ordinal));
        Assert.All(payloads, key =>
        {
            Assert.Equal(fixture.First.Metadata.Sha256, Sha256Hex.OfFile(KubeNginxPayload.BinaryPath(PayloadDir(key))));
            Assert.True(File.Exists(Path.Combine(PayloadDir(key), "bin", "kubectl")));
            Assert.True(File.Exists(KubeNginxPayload.MetadataPath(PayloadDir(key))));
        });

        // When the arch has a prebuilt binary configured ([Nginx] Prebuilt_<arch>, PrebuiltSha256_<arch>)
        var prebuiltDir = dir.Combine("prebuilt-payload");
        var prebuilt = new KubeNginxStage
        {
            Options = fixture.Options() with { Log = log.Add },
            PinsDirectory = dir.Path,
            Prebuilt = new Dictionary<string, KubeNginxPrebuilt> { [arch] = new(fixture.Second.BinaryPath, fixture.Second.Metadata.Sha256) },
        };
        var fromPrebuilt = Assert.Single(prebuilt.Run(pins, Kubernetes, [payloads[0]], _ => prebuiltDir));

        // Then that binary is checked and staged, and no source is looked for
        Assert.True(fromPrebuilt.Prebuilt);
        Assert.Contains(", prebuilt)", fromPrebuilt.Summary, StringComparison.Ordinal);
        Assert.Equal(fixture.Second.Metadata.Sha256, Sha256Hex.OfFile(KubeNginxPayload.BinaryPath(prebuiltDir)));
        Assert.Single(log, l => l.Contains(" source: ", StringComparison.Ordinal));
    }

    private static PinsFile Pins(string yaml)
    {
        var diagnostics = new DiagnosticBag();
        var pins = PinsLoader.Parse(yaml, diagnostics, "test-pins.yaml");
        diagnostics.ThrowIfErrors("test-pins.yaml");
        return pins!;
    }
}
