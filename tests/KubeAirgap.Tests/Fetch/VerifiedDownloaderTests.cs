using System.Net.Http.Headers;
using KubeAirgap.Fetch;
using KubeAirgap.Content.Download;
using KubeAirgap.Tests.Fetch.Fixtures;
using KubeAirgap.Content;

namespace KubeAirgap.Tests.Fetch;

public sealed class VerifiedDownloaderTests
{
    private const int Size = 200 * 1024;

    [Fact]
    public async Task Should_Store_A_Verified_File_Under_Its_Digest()
    {
        // Given
        await using var f = await DownloadFixture.StartAsync();
        var content = DownloadFixture.RandomBytes(Size);
        var digest = DownloadFixture.Sha256Of(content);
        var url = f.Server.Add("a/etcd.tar.gz", content);

        // When
        var result = await f.DownloadAsync("etcd", digest, url);

        // Then
        Assert.Equal(f.Cache.PathOf(digest), result.Path);
        Assert.Equal(Path.Combine(f.Cache.Root, "sha256", digest.Hex), result.Path);
        Assert.Equal(content, File.ReadAllBytes(result.Path));
        Assert.Equal(url, result.Source);
        Assert.False(File.Exists(f.Cache.PartialPathOf(digest)));

        // a second fetch is served from the cache without a request
        var again = await f.DownloadAsync("etcd", digest, url);
        Assert.True(again.FromCache);
        Assert.Single(f.Server.Requests);
    }

    [Fact]
    public async Task Should_Refuse_A_Corrupted_Body_And_Name_Every_Url_And_Both_Digests()
    {
        // Given
        await using var f = await DownloadFixture.StartAsync();
        var content = DownloadFixture.RandomBytes(Size);
        var digest = DownloadFixture.Sha256Of(content);
        var url = f.Server.Add("kubelet", content);
        var second = f.Second.Add("mirror/kubelet", content);
        f.Server.Script("kubelet", new Step { Corrupt = true });
        f.Second.Script("mirror/kubelet", new Step { Corrupt = true });

        // When
        var e = await Assert.ThrowsAsync<DownloadException>(() => f.DownloadAsync("kubelet 1.36.3 (amd64)", digest, url, second));

        // Then
        Assert.Contains("kubelet 1.36.3 (amd64)", e.Message, StringComparison.Ordinal);
        Assert.Contains(url.ToString(), e.Message, StringComparison.Ordinal);
        Assert.Contains(second.ToString(), e.Message, StringComparison.Ordinal);
        Assert.Contains("expected " + digest, e.Message, StringComparison.Ordinal);
        Assert.Contains("got sha256:", e.Message, StringComparison.Ordinal);
        Assert.False(f.Cache.TryGet(digest, out _));
        Assert.False(File.Exists(f.Cache.PartialPathOf(digest)));
    }

    [Fact]
    public async Task Should_Try_The_Next_Mirror_After_A_Corrupted_Body()
    {
        // Given
        await using var f = await DownloadFixture.StartAsync();
        var content = DownloadFixture.RandomBytes(Size);
        var digest = DownloadFixture.Sha256Of(content);
        var first = f.Server.Add("x", content);
        var second = f.Second.Add("x", content);
        f.Server.Script("x", new Step { Corrupt = true });

        // When
        var result = await f.DownloadAsync("x", digest, first, second);

        // Then
        Assert.Equal(second, result.Source);
        Assert.Equal(content, File.ReadAllBytes(result.Path));
    }

    [Fact]
    public async Task Should_Resume_With_A_Range_Request_After_The_Connection_Drops()
    {
        // Given
        await using var f = await DownloadFixture.StartAsync();
        var content = DownloadFixture.RandomBytes(Size);
        var digest = DownloadFixture.Sha256Of(content);
        var url = f.Server.Add("containerd.tar.gz", content);
        f.Server.Script("containerd.tar.gz", new Step { DropAfter = 96 * 1024 });

        // When
        var result = await f.DownloadAsync("containerd", digest, url);

        // Then
        Assert.Equal(content, File.ReadAllBytes(result.Path));
        var requests = f.Server.RequestsFor("containerd.tar.gz");
        Assert.Equal(2, requests.Count);
        Assert.Null(requests[0].Range);
        Assert.NotNull(requests[1].Range);
        Assert.StartsWith("bytes=", requests[1].Range, StringComparison.Ordinal);
        Assert.Equal(206, requests[1].Status);
        Assert.True(requests[1].BytesSent < Size, $"resumed request sent {requests[1].BytesSent} bytes");
        var resumedFrom = long.Parse(requests[1].Range!["bytes=".Length..^1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(resumedFrom > 0);
        Assert.Equal(Size, resumedFrom + requests[1].BytesSent);
    }

    [Fact]
    public async Task Should_Start_Over_When_The_Server_Has_No_Range_Support()
    {
        // Given
        await using var f = await DownloadFixture.StartAsync();
        f.Server.SupportsRange = false;
        var content = DownloadFixture.RandomBytes(Size);
        var digest = DownloadFixture.Sha256Of(content);
        var url = f.Server.Add("runc", content);
        f.Server.Script("runc", new Step { DropAfter = 64 * 1024 });

        // When
        var result = await f.DownloadAsync("runc", digest, url);

        // Then
        Assert.Equal(content, File.ReadAllBytes(result.Path));
        var requests = f.Server.RequestsFor("runc");
        Assert.Equal(2, requests.Count);
        Assert.NotNull(requests[1].Range);
        Assert.Equal(200, requests[1].Status);
        Assert.Equal(Size, requests[1].BytesSent);
    }

    [Fact]
    public async Task Should_Retry_After_500_And_429_With_Retry_After()
    {
        // Given
        await using var f = await DownloadFixture.StartAsync();
        var content = DownloadFixture.RandomBytes(Size);
        var digest = DownloadFixture.Sha256Of(content);
        var url = f.Server.Add("crictl", content);
        f.Server.Script("crictl", Step.Fail(500), Step.Fail(429, retryAfter: 1), Step.Fail(503));

        // When
        var result = await f.DownloadAsync("crictl", digest, url);

        // Then
        Assert.Equal(url, result.Source);
        Assert.Equal([500, 429, 503, 200], f.Server.RequestsFor("crictl").Select(r => r.Status));
    }

    [Fact]
    public async Task Should_Give_Up_After_The_Retries_And_Say_So()
    {
        // Given
        await using var f = await DownloadFixture.StartAsync();
        var content = DownloadFixture.RandomBytes(1024);
        var url = f.Server.Add("down", content);
        f.Server.Script("down", Step.Fail(502), Step.Fail(502), Step.Fail(502), Step.Fail(502), Step.Fail(502));

        // When
        var e = await Assert.ThrowsAsync<DownloadException>(() => f.DownloadAsync("down", DownloadFixture.Sha256Of(content), url));

        // Then
        Assert.Equal(4, f.Server.RequestsFor("down").Count);
        Assert.Contains("gave up after 4 attempt(s)", e.Message, StringComparison.Ordinal);
        Assert.Equal(4, e.Attempts.Count);
        Assert.StartsWith("gave up", e.Attempts[^1].Outcome, StringComparison.Ordinal);
        Assert.Contains("502", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_Try_The_Second_Mirror_After_A_404_Without_Retrying_The_First()
    {
        // Given
        await using var f = await DownloadFixture.StartAsync();
        var content = DownloadFixture.RandomBytes(Size);
        var digest = DownloadFixture.Sha256Of(content);
        var missing = f.Server.Url("nothing/here");
        var second = f.Second.Add("mirror/kubectl", content);

        // When
        var result = await f.DownloadAsync("kubectl", digest, missing, second);

        // Then
        Assert.Equal(second, result.Source);
        Assert.Single(f.Server.Requests);
        Assert.Equal(404, f.Server.Requests[0].Status);
    }

    [Fact]
    public async Task Should_Time_Out_A_Server_That_Is_Too_Slow_And_Use_The_Next()
    {
        // Given
        await using var f = await DownloadFixture.StartAsync();
        f.Options = f.Options with { IdleTimeout = TimeSpan.FromMilliseconds(500), Retries = 1 };
        var content = DownloadFixture.RandomBytes(Size);
        var digest = DownloadFixture.Sha256Of(content);
        var slow = f.Server.Add("slow", content);
        var fast = f.Second.Add("slow", content);
        var stall = new Step { Delay = TimeSpan.FromSeconds(10) };
        f.Server.Script("slow", stall, stall);

        // When
        var result = await f.DownloadAsync("slow", digest, slow, fast);

        // Then
        Assert.Equal(fast, result.Source);
        Assert.Equal(2, f.Server.RequestsFor("slow").Count);
    }

    [Fact]
    public async Task Should_Report_A_Timeout_With_The_Url()
    {
        // Given
        await using var f = await DownloadFixture.StartAsync();
        f.Options = f.Options with { IdleTimeout = TimeSpan.FromMilliseconds(300), Retries = 0 };
        var content = DownloadFixture.RandomBytes(1024);
        var slow = f.Server.Add("slow", content);
        f.Server.Script("slow", new Step { Delay = TimeSpan.FromSeconds(10) });

        // When
        var e = await Assert.ThrowsAsync<DownloadException>(() => f.DownloadAsync("slow", DownloadFixture.Sha256Of(content), slow));

        // Then
        Assert.Contains(slow.ToString(), e.Message, StringComparison.Ordinal);
        Assert.Contains("no data for", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_Send_The_Headers_Of_The_Request_Callback()
    {
        // Given
        await using var f = await DownloadFixture.StartAsync();
        var content = DownloadFixture.RandomBytes(1024);
        var digest = DownloadFixture.Sha256Of(content);
        var url = f.Server.Add("v2/blob", content);
        using var downloader = f.CreateDownloader();

        // When
        await downloader.DownloadAsync(new DownloadRequest("blob", [url], digest)
        {
            ConfigureRequest = (message, _) =>
            {
                message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "t0ken");
                return ValueTask.CompletedTask;
            },
        }, cancellationToken: TestContext.Current.CancellationToken);

        // Then
        Assert.Equal("Bearer t0ken", f.Server.Requests.Single().Authorization);
    }

    [Fact]
    public async Task Should_Verify_A_Sha512_Digest()
    {
        // Given
        await using var f = await DownloadFixture.StartAsync();
        var content = DownloadFixture.RandomBytes(4096);
        var digest = Digest.Sha512(Convert.ToHexStringLower(System.Security.Cryptography.SHA512.HashData(content)));
        var url = f.Server.Add("src.tar.gz", content);

        // When
        var result = await f.DownloadAsync("src", digest, url);

        // Then
        Assert.Equal(Path.Combine(f.Cache.Root, "sha512", digest.Hex), result.Path);
    }

    [Fact]
    public async Task Should_Let_Concurrent_Fetches_Share_One_Cache()
    {
        // Given
        await using var f = await DownloadFixture.StartAsync();
        var files = Enumerable.Range(0, 4).Select(i => DownloadFixture.RandomBytes(Size, seed: i)).ToList();
        var urls = files.Select((c, i) => f.Server.Add($"file{i}", c)).ToList();
        var digests = files.Select(DownloadFixture.Sha256Of).ToList();

        // When: 4 independent downloaders (as separate builds would) fetch all files at once, in different orders
        var builds = Enumerable.Range(0, 4).Select(b => Task.Run(async () =>
        {
            using var downloader = new VerifiedDownloader(new ArtifactCache(f.Cache.Root), f.Options);
            foreach (var i in Enumerable.Range(0, files.Count).Select(i => (i + b) % files.Count))
            {
                await downloader.DownloadAsync(new DownloadRequest($"file{i}", [urls[i]], digests[i]), cancellationToken: TestContext.Current.CancellationToken);
            }
        })).ToList();
        await Task.WhenAll(builds);

        // Then: every file intact, no partials left, and each fetched over the network once
        for (var i = 0; i < files.Count; i++)
        {
            Assert.Equal(files[i], File.ReadAllBytes(f.Cache.PathOf(digests[i])));
            Assert.Single(f.Server.RequestsFor($"file{i}"));
        }

        Assert.Empty(Directory.GetFiles(Path.Combine(f.Cache.Root, "tmp"), "*.part"));
    }
}
