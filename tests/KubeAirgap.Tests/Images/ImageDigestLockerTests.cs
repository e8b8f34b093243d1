using KubeAirgap.ImageRefs;
using KubeAirgap.Images.Lock;
using KubeAirgap.Images.Oci;
using KubeAirgap.Images.Registry;
using KubeAirgap.Pins;
using KubeAirgap.Tests.Fetch.Fixtures;
using KubeAirgap.Tests.Images.Fixtures;
using Microsoft.AspNetCore.Http;

namespace KubeAirgap.Tests.Images;

/// <summary>
/// Trust on first use for images (finding 2): an unpinned tag is resolved on the upstream registry over TLS (a real
/// docker-registry serving https with a test CA), never through a mirror, and recorded in pins.yaml, marked as such.
/// </summary>
public sealed class ImageDigestLockerTests : IDisposable
{
    private readonly TestCa _ca = new();
    private readonly TestRegistry _registry;
    private readonly PullFixture _fixture = new();

    public ImageDigestLockerTests()
    {
        _registry = new TestRegistry(tls: _ca);
    }

    [Fact]
    public async Task Finding2_Unpinned_Tags_Are_Resolved_On_The_Upstream_Registry_Over_Tls_Never_A_Mirror_And_Recorded_As_Tofu()
    {
        // Given: the shipped pins with every image pointed at the TLS registry, and a hostile mirror for it that
        // answers every manifest request with a forged index
        var ct = TestContext.Current.CancellationToken;
        var pushed = _registry.Push("calico/node", "v3.31.7", TestImages.Index(TestImages.Image("calico node"), TestImages.Image("calico node arm", "arm64")));
        await using var mirror = await MirrorServer.StartAsync();
        var forged = TestImages.Index(TestImages.Image("forged")).Index;
        mirror.Handle("v2/", c => { c.Response.StatusCode = 200; return Task.CompletedTask; });
        mirror.Handle("v2/calico/node/manifests/v3.31.7", c => Serve(c, forged.Bytes, forged.Digest));
        var text = (await File.ReadAllTextAsync(Support.Repo.File("pins.yaml"), ct))
            .Replace("registry.k8s.io/", _registry.Host + "/", StringComparison.Ordinal)
            .Replace("quay.io/", _registry.Host + "/", StringComparison.Ordinal);
        var pinsPath = Path.Combine(_fixture.Root, "pins.yaml");
        await File.WriteAllTextAsync(pinsPath, text, ct);
        var options = new RegistryOptions { Mirrors = new Dictionary<string, IReadOnlyList<Uri>> { [_registry.Host] = [mirror.BaseUri] } };
        using var client = _fixture.Client(options: options, transport: _ca.Handler());
        var clock = new FixedClock(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));

        // When
        var entries = await new ImageDigestLocker(client, clock).LockAsync(pinsPath, cancellationToken: ct);

        // Then: the digest of what the upstream registry served, marked tofu with date and registry; the mirror was never asked
        var pins = PinsLoader.LoadValid(pinsPath);
        var node = pins.FindImage("calico-node", "v3.31.7")!;
        Assert.Equal(pushed, node.Digest);
        Assert.Equal($"tofu 2026-11-29 from {_registry.Host}", node.DigestSource);
        Assert.True(node.IsTofu);
        Assert.DoesNotContain(mirror.Requests, r => r.Path.Contains("/manifests/", StringComparison.Ordinal));

        // images that had a digest from a published source keep it; calico-cni is not in the registry: reported, left unpinned
        Assert.Equal("sha256:f548e0e8e3dc1896ca956272154dde3314e8cc4fde0a57577ee9fa1c63f5baf4", pins.FindImage("pause", "3.10.2")!.Digest);
        Assert.Null(pins.FindImage("calico-cni", "v3.31.7")!.Digest);
        Assert.Contains(entries, e => e.Ref.EndsWith("cni:v3.31.7", StringComparison.Ordinal) && e.Problem!.Contains("404", StringComparison.Ordinal));

        // only the resolved entry's two lines changed
        var before = text.Split('\n');
        var after = (await File.ReadAllTextAsync(pinsPath, ct)).Split('\n');
        Assert.Equal(2, before.Zip(after).Count(p => p.First != p.Second));

        // every later build uses the recorded digest
        Assert.Equal($"{_registry.Host}/calico/node:v3.31.7@{pushed}", node.PinnedRef);
    }

    [Fact]
    public async Task Finding2_A_Tag_Is_Never_Resolved_Over_Plain_Http_Or_On_The_Word_Of_Docker_Content_Digest()
    {
        // Given: a TLS "registry" that sends a manifest without Docker-Content-Digest, one with a wrong one, and a
        // plain-HTTP registry (loopback would be allowed plain HTTP for pulls by digest)
        var ct = TestContext.Current.CancellationToken;
        var image = TestImages.Image("headerless");
        await using var tls = await MirrorServer.StartAsync(_ca);
        tls.Handle("v2/", c => { c.Response.StatusCode = 200; return Task.CompletedTask; });
        tls.Handle("v2/a/manifests/1", c => Serve(c, image.Manifest.Bytes, digestHeader: null));
        tls.Handle("v2/b/manifests/1", c => Serve(c, image.Manifest.Bytes, "sha256:" + new string('0', 64)));
        await using var plainServer = await MirrorServer.StartAsync();
        using var client = _fixture.Client(transport: _ca.Handler());
        var host = tls.BaseUri.Authority;

        // When
        var (digest, registry) = await client.ResolveUpstreamAsync($"{host}/a:1", ct);
        var mismatch = await Assert.ThrowsAsync<RegistryException>(() => client.ResolveUpstreamAsync($"{host}/b:1", ct));
        var plain = await Assert.ThrowsAsync<RegistryException>(() => client.ResolveUpstreamAsync($"{plainServer.BaseUri.Authority}/a:1", ct));

        // Then: the digest is the sha256 of the bytes received; a contradicting header is refused; http is never used
        Assert.Equal(image.Manifest.Digest, digest);
        Assert.Equal(host, registry);
        Assert.Contains("digest mismatch", mismatch.Message, StringComparison.Ordinal);
        Assert.Contains("https://", plain.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Finding2_An_Unpinned_Image_Is_Refused_By_A_Build_That_Requires_Digests()
    {
        // Given a registry with the tag, and a client for a build without --allow_unpinned_images
        var ct = TestContext.Current.CancellationToken;
        _registry.Push("app", "1.0", TestImages.Image("app"));
        using var strict = _fixture.Client(options: new RegistryOptions { RequireDigests = true }, transport: _ca.Handler());

        // When
        var e = await Assert.ThrowsAsync<RegistryException>(() =>
            strict.GetManifestAsync(ImageReference.Parse($"{_registry.Host}/app:1.0"), "1.0", ct));
        var refusal = KubeAirgap.Images.ImagePinning.Refusal([ImageReference.Parse($"{_registry.Host}/app:1.0")], offline: true, []);

        // Then
        Assert.Contains("not pinned by digest", e.Message, StringComparison.Ordinal);
        Assert.Contains("--allow_unpinned_images", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("--offline cannot resolve a tag", refusal.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _registry.Dispose();
        _fixture.Dispose();
        _ca.Dispose();
    }

    private static async Task Serve(HttpContext context, byte[] body, string? digestHeader)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = MediaTypes.OciIndex;
        if (digestHeader is not null)
        {
            context.Response.Headers["Docker-Content-Digest"] = digestHeader;
        }

        await context.Response.Body.WriteAsync(body);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
