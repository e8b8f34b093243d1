using System.Diagnostics;
using KubeAirgap.Fetch;
using KubeAirgap.Content.Download;
using KubeAirgap.ImageRefs;
using KubeAirgap.Images.Oci;
using KubeAirgap.Images.Registry;
using KubeAirgap.Tests.Fetch.Fixtures;
using KubeAirgap.Tests.Images.Fixtures;
using Microsoft.AspNetCore.Http;
using KubeAirgap.Content;

namespace KubeAirgap.Tests.Fetch;

[CollectionDefinition(nameof(MemoryMeasuredCollection), DisableParallelization = true)]
public sealed class MemoryMeasuredCollection;

/// <summary>
/// Finding 5 (unbounded reads), against a hostile loopback registry and a hostile download mirror: a chunked manifest
/// over the 4 MiB cap, a blob larger than its declared size, bodies that trickle, checksum files without end. Each
/// ends with a clear error, nothing under a final name in the cache, and the process's working set grows by less than
/// 64 MiB while 64 MiB bodies are thrown at it. Runs alone, so the working set is this test's.
/// </summary>
[Collection(nameof(MemoryMeasuredCollection))]
public sealed class HostileServerTests
{
    private const int Hostile = 64 << 20;

    [Fact]
    public async Task Finding5_Hostile_Registry_And_Mirror_Bodies_Are_Bounded_And_Leave_Nothing_In_The_Cache()
    {
        // Given: a registry whose manifest is a 64 MiB chunked body, whose blobs are larger than declared or trickle;
        // a download mirror serving a 64 MiB "checksum file" and a 64 MiB chunked artifact
        var ct = TestContext.Current.CancellationToken;
        await using var registry = await MirrorServer.StartAsync();
        var declared = KubeAirgap.Content.Digest.Of("declared 100 bytes"u8).ToString();
        var slow = KubeAirgap.Content.Digest.Of("slow"u8).ToString();
        registry.Handle("v2/", c => { c.Response.StatusCode = 200; return Task.CompletedTask; });
        registry.Handle("v2/big/manifests/sha256:" + new string('a', 64), c => Endless(c, Hostile, null));
        registry.Handle($"v2/img/blobs/{declared}", c => Endless(c, Hostile, null));
        registry.Handle($"v2/img/blobs/{slow}", c => Endless(c, 1000, TimeSpan.FromSeconds(30)));
        await using var mirror = await MirrorServer.StartAsync();
        mirror.Handle("dl/SHA256SUMS", c => Endless(c, Hostile, null));
        mirror.Handle("dl/kubelet", c => Endless(c, Hostile, null));
        using var fixture = new PullFixture();
        var downloads = new DownloadOptions { Retries = 0, IdleTimeout = TimeSpan.FromSeconds(1), MaxArtifactBytes = 8 << 20 };
        using var client = fixture.Client(options: new RegistryOptions { Timeout = TimeSpan.FromSeconds(2), MaxAttempts = 1 }, downloads: downloads);
        using var downloader = new VerifiedDownloader(fixture.Cache, downloads);
        var host = registry.BaseUri.Authority;
        using var memory = WorkingSetMonitor.Start();

        // When
        var manifest = await Assert.ThrowsAsync<RegistryException>(() =>
            client.GetManifestAsync(ImageReference.Parse($"{host}/big@sha256:{new string('a', 64)}"), "sha256:" + new string('a', 64), ct));
        var blob = await Assert.ThrowsAsync<RegistryException>(() =>
            client.DownloadBlobAsync(ImageReference.Parse($"{host}/img:1"), new Descriptor(MediaTypes.OciLayerGzip, declared, 100), ct));
        var trickle = await Assert.ThrowsAsync<RegistryException>(() =>
            client.DownloadBlobAsync(ImageReference.Parse($"{host}/img:1"), new Descriptor(MediaTypes.OciLayerGzip, slow, 1000), ct));
        var sums = await Assert.ThrowsAsync<DownloadException>(() =>
            downloader.GetSmallAsync("checksums", [mirror.Url("dl/SHA256SUMS")], 1 << 20, cancellationToken: ct));
        var artifact = await Assert.ThrowsAsync<DownloadException>(() =>
            downloader.DownloadAsync(new DownloadRequest("kubelet", [mirror.Url("dl/kubelet")], KubeAirgap.Content.Digest.Sha256(new string('b', 64))), cancellationToken: ct));
        var growth = memory.Stop();
        TestContext.Current.TestOutputHelper?.WriteLine($"peak working-set growth: {growth / (1 << 20)} MiB while 4 x 64 MiB hostile bodies were offered");

        // Then: each names what and why
        Assert.Contains("larger than its limit of 4194304 bytes", manifest.Message, StringComparison.Ordinal);
        Assert.Contains("larger than its limit of 100 bytes", blob.Message, StringComparison.Ordinal);
        Assert.Contains("no data for 1s", trickle.Message, StringComparison.Ordinal);
        Assert.Contains("larger than its limit of 1048576 bytes", sums.Message, StringComparison.Ordinal);
        Assert.Contains("larger than its limit of 8388608 bytes", artifact.Message, StringComparison.Ordinal);

        // nothing under a final name in the cache, no oversized partial left behind
        Assert.Empty(fixture.CachedBlobs());
        var tmp = Path.Combine(fixture.CacheRoot, "tmp");
        Assert.All(Directory.Exists(tmp) ? Directory.GetFiles(tmp) : [], f => Assert.True(new FileInfo(f).Length <= 1000, f));

        // and memory stayed flat while 4 x 64 MiB were offered
        Assert.True(growth < 64L << 20, $"working set grew by {growth >> 20} MiB");
    }

    /// <summary>Sends <paramref name="length"/> bytes without a Content-Length (chunked), optionally stalling after the first chunk.</summary>
    private static async Task Endless(HttpContext context, long length, TimeSpan? stall)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/octet-stream";
        var chunk = new byte[Math.Min(1 << 20, length)];
        try
        {
            for (long sent = 0; sent < length; sent += chunk.Length)
            {
                await context.Response.Body.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, stall is null ? length - sent : 10)), context.RequestAborted);
                if (stall is { } wait)
                {
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    await Task.Delay(wait, context.RequestAborted);
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // the client gave up, as it should
        }
    }

    /// <summary>Samples this process's working set every few milliseconds; <see cref="Stop"/> returns peak minus baseline.</summary>
    private sealed class WorkingSetMonitor : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly long _baseline;
        private readonly Task _sampler;
        private long _peak;

        private WorkingSetMonitor()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            _baseline = Current();
            _peak = _baseline;
            _sampler = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    var now = Current();
                    if (now > Interlocked.Read(ref _peak))
                    {
                        Interlocked.Exchange(ref _peak, now);
                    }

                    await Task.Delay(5).ConfigureAwait(false);
                }
            });
        }

        public static WorkingSetMonitor Start() => new();

        public long Stop()
        {
            _stop.Cancel();
            _sampler.GetAwaiter().GetResult();
            return Interlocked.Read(ref _peak) - _baseline;
        }

        public void Dispose() => _stop.Dispose();

        private static long Current()
        {
            using var process = Process.GetCurrentProcess();
            return process.WorkingSet64;
        }
    }
}

/// <summary>Finding 8: a child manifest is only ever fetched by a sha256 digest its bytes are checked against.</summary>
public sealed class ChildDigestTests
{
    [Theory]
    [InlineData("latest")]
    [InlineData("sha512:0123")]
    [InlineData("sha256:XYZ")]
    public async Task Finding8_A_Child_Manifest_Digest_That_Is_Not_Sha256_Is_Refused_Not_Fetched_Like_A_Tag(string child)
    {
        // Given a registry whose index names its amd64 manifest by something that is not a sha256 digest
        var ct = TestContext.Current.CancellationToken;
        var index = System.Text.Encoding.UTF8.GetBytes(
            $$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.OciIndex}}}","manifests":[{"mediaType":"{{{MediaTypes.OciManifest}}}","digest":"{{{child}}}","size":500,"platform":{"os":"linux","architecture":"amd64"}}]}""");
        var digest = KubeAirgap.Content.Digest.Of(index).ToString();
        await using var registry = await MirrorServer.StartAsync();
        registry.Handle("v2/", c => { c.Response.StatusCode = 200; return Task.CompletedTask; });
        registry.Handle($"v2/app/manifests/{digest}", async c =>
        {
            c.Response.ContentType = MediaTypes.OciIndex;
            await c.Response.Body.WriteAsync(index, c.RequestAborted);
        });
        using var fixture = new PullFixture();
        using var client = fixture.Client();

        // When
        var e = await Assert.ThrowsAsync<RegistryException>(() =>
            new KubeAirgap.Images.Pull.ImagePuller(client).PullAsync(ImageReference.Parse($"{registry.BaseUri.Authority}/app@{digest}"), "amd64", ct));

        // Then: refused with the index and the bad digest named; the child was never requested
        Assert.Contains($"'{child}', which is not a sha256 digest", e.Message, StringComparison.Ordinal);
        Assert.Contains(digest, e.Message, StringComparison.Ordinal);
        Assert.Single(registry.Requests, r => r.Path.Contains("/manifests/", StringComparison.Ordinal));
    }
}
