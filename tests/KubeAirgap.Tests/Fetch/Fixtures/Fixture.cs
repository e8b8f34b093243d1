using System.Security.Cryptography;
using KubeAirgap.Fetch;
using KubeAirgap.Content.Download;
using KubeAirgap.Tests.Support;
using KubeAirgap.Content;

namespace KubeAirgap.Tests.Fetch.Fixtures;

/// <summary>A loopback mirror, a temp cache and a downloader with short delays: the default world of a fetch test.</summary>
public sealed class DownloadFixture : IAsyncDisposable
{
    private DownloadFixture(MirrorServer server, MirrorServer second, TestCa? ca = null)
    {
        Ca = ca;
        Server = server;
        Second = second;
        Cache = new ArtifactCache(Temp.Combine("cache"));
    }

    public MirrorServer Server { get; }

    /// <summary>A second mirror, tried after <see cref="Server"/>.</summary>
    public MirrorServer Second { get; }

    public TempDirectory Temp { get; } = new("kag-fetch");

    public ArtifactCache Cache { get; }

    public DownloadOptions Options { get; set; } = new()
    {
        Retries = 3,
        RetryDelay = TimeSpan.FromMilliseconds(20),
        MaxRetryAfter = TimeSpan.FromSeconds(2),
        IdleTimeout = TimeSpan.FromSeconds(5),
        BufferSize = 8 * 1024,
    };

    /// <summary>When the servers speak TLS: the CA the downloader trusts.</summary>
    public TestCa? Ca { get; }

    public static async Task<DownloadFixture> StartAsync() =>
        new(await MirrorServer.StartAsync(), await MirrorServer.StartAsync());

    /// <summary><see cref="Server"/> speaks https with a test CA the downloader trusts; <see cref="Second"/> stays plain http (a mirror).</summary>
    public static async Task<DownloadFixture> StartTlsAsync()
    {
        var ca = new TestCa();
        return new(await MirrorServer.StartAsync(ca), await MirrorServer.StartAsync(), ca);
    }

    public static byte[] RandomBytes(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static Digest Sha256Of(byte[] bytes) => Digest.Sha256(Sha256Hex.Of(bytes));

    public VerifiedDownloader CreateDownloader() =>
        Ca is null ? new(Cache, Options) : new(Cache, Options, new HttpClient(Ca.Handler()) { Timeout = Timeout.InfiniteTimeSpan });

    public async Task<DownloadResult> DownloadAsync(string name, Digest digest, params Uri[] urls)
    {
        using var downloader = CreateDownloader();
        return await downloader.DownloadAsync(new DownloadRequest(name, urls, digest));
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Second.DisposeAsync();
        Ca?.Dispose();
        Temp.Dispose();
    }
}
