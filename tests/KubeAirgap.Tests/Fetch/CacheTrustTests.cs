using KubeAirgap.Fetch;
using KubeAirgap.Content.Download;
using KubeAirgap.Tests.Fetch.Fixtures;
using KubeAirgap.Content;

namespace KubeAirgap.Tests.Fetch;

/// <summary>Finding 9: a name in the cache is not proof; the cache is private to its owner.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CacheTrustTests
{
    [Fact]
    public async Task Finding9_A_File_Planted_In_The_Cache_Is_Not_Served_As_Verified()
    {
        // Given: the real artifact on the mirror, and other bytes planted in the cache under its digest
        await using var f = await DownloadFixture.StartAsync();
        var real = DownloadFixture.RandomBytes(50_000, 7);
        var digest = DownloadFixture.Sha256Of(real);
        var url = f.Server.Add("bin/runc", real);
        Directory.CreateDirectory(Path.GetDirectoryName(f.Cache.PathOf(digest))!);
        await File.WriteAllBytesAsync(f.Cache.PathOf(digest), "planted runc"u8.ToArray(), TestContext.Current.CancellationToken);
        var rejected = new List<string>();
        var cache = new ArtifactCache(f.Cache.Root) { OnRejected = rejected.Add };

        // When
        using var downloader = new VerifiedDownloader(cache, f.Options);
        var result = await downloader.DownloadAsync(new DownloadRequest("runc", [url], digest), cancellationToken: TestContext.Current.CancellationToken);

        // Then: the planted file was detected, removed, and the real bytes fetched and served
        Assert.False(result.FromCache);
        Assert.Equal(real, await File.ReadAllBytesAsync(result.Path, TestContext.Current.CancellationToken));
        Assert.Contains(rejected, r => r.Contains("hashes to", StringComparison.Ordinal) && r.Contains(digest.ToString(), StringComparison.Ordinal));
        Assert.Single(f.Server.RequestsFor("bin/runc"));

        // and a file changed after it was verified is caught by the next process (a fresh cache object)
        File.SetUnixFileMode(result.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await File.WriteAllBytesAsync(result.Path, "swapped"u8.ToArray(), TestContext.Current.CancellationToken);
        Assert.False(new ArtifactCache(f.Cache.Root).TryGet(digest, out _));
    }

    [Fact]
    public async Task Finding9_Cache_Directories_Are_0700_And_Verified_Files_Read_Only()
    {
        // Given
        await using var f = await DownloadFixture.StartAsync();
        var bytes = DownloadFixture.RandomBytes(1000, 8);
        var url = f.Server.Add("x", bytes);

        // When
        var result = await f.DownloadAsync("x", DownloadFixture.Sha256Of(bytes), url);

        // Then
        var owner = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        foreach (var dir in Directory.GetDirectories(f.Cache.Root, "*", SearchOption.AllDirectories).Append(f.Cache.Root))
        {
            Assert.Equal(owner, File.GetUnixFileMode(dir));
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(result.Path));
    }
}
