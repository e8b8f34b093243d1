using KubeAirgap.Fetch;
using KubeAirgap.Fetch.Lock;
using KubeAirgap.Pins;
using KubeAirgap.Tests.Fetch.Fixtures;

namespace KubeAirgap.Tests.Fetch;

/// <summary>Lock against a loopback server publishing checksum files the way dl.k8s.io, etcd, containerd and runc do.</summary>
public sealed class PinsLockerTests
{
    private static string Hex(byte[] bytes) => DownloadFixture.Sha256Of(bytes).Hex;

    [Fact]
    public async Task Should_Fill_Checksums_From_Each_Upstream_Format_And_Keep_Comments()
    {
        // Given
        await using var f = await DownloadFixture.StartTlsAsync();
        var kubelet = DownloadFixture.RandomBytes(1000, 1);
        var etcd = DownloadFixture.RandomBytes(1000, 2);
        var containerd = DownloadFixture.RandomBytes(1000, 3);
        var runc = DownloadFixture.RandomBytes(1000, 4);
        var kept = DownloadFixture.RandomBytes(1000, 5);
        var kubeletUrl = f.Server.Add("release/v1/bin/linux/amd64/kubelet", kubelet);
        f.Server.Add("release/v1/bin/linux/amd64/kubelet.sha256", System.Text.Encoding.ASCII.GetBytes(Hex(kubelet)));
        var etcdUrl = f.Server.Add("etcd/v9/etcd-v9-linux-amd64.tar.gz", etcd);
        f.Server.Add("etcd/v9/SHA256SUMS", System.Text.Encoding.ASCII.GetBytes($"{Hex(runc)}  etcd-v9-linux-arm64.tar.gz\n{Hex(etcd)}  etcd-v9-linux-amd64.tar.gz\n"));
        var containerdUrl = f.Server.Add("ctrd/containerd-2-linux-amd64.tar.gz", containerd);
        f.Server.Add("ctrd/containerd-2-linux-amd64.tar.gz.sha256sum", System.Text.Encoding.ASCII.GetBytes($"{Hex(containerd)}  containerd-2-linux-amd64.tar.gz\n"));
        var runcUrl = f.Server.Add("runc/v1/runc.amd64", runc);
        f.Server.Add("runc/v1/runc.sha256sum", System.Text.Encoding.ASCII.GetBytes($"{Hex(kubelet)} *runc.arm64\n{Hex(runc)} *runc.amd64\n"));
        var pins = f.Temp.Write("pins.yaml", $"""
            # top comment stays
            schemaVersion: 1
            components:
            - name: kubelet   # trailing comment stays
              version: 1.0.0
              layout: {Layout("kubelet")}
              artifacts:
                amd64:
                  url: {kubeletUrl}
                  sha256: null
                  source: 'none yet'
            - name: etcd
              version: 9.0.0
              layout: {Layout("etcd")}
              artifacts:
                amd64:
                  url: {etcdUrl}
                  sha256: null
            - name: containerd
              version: 2.0.0
              layout: {Layout("containerd")}
              artifacts:
                amd64:
                  url: {containerdUrl}
                  sha256: null
                  source: none
            - name: runc
              version: 1.0.0
              layout: {Layout("runc")}
              artifacts:
                amd64:
                  url: {runcUrl}
                  sha256: null
            - name: kept
              version: 1.0.0
              layout: {Layout("kept")}
              artifacts:
                amd64:
                  url: {f.Server.Url("kept")}
                  sha256: {Hex(kept)}
                  source: hand-checked
            """);
        using var downloader = f.CreateDownloader();

        // When
        var report = await new PinsLocker(downloader).LockAsync(pins, allowDownload: false, cancellationToken: TestContext.Current.CancellationToken);

        // Then
        Assert.Empty(report.Unfilled);
        Assert.Equal(4, report.Filled.Count());
        var locked = PinsLoader.LoadValid(pins);
        Assert.Equal(Hex(kubelet), locked.Find("kubelet", "1.0.0")!.For("amd64")!.Sha256);
        Assert.Equal(Hex(etcd), locked.Find("etcd", "9.0.0")!.For("amd64")!.Sha256);
        Assert.Equal(Hex(containerd), locked.Find("containerd", "2.0.0")!.For("amd64")!.Sha256);
        Assert.Equal(Hex(runc), locked.Find("runc", "1.0.0")!.For("amd64")!.Sha256);
        Assert.Equal($"upstream checksum file {f.Server.Url("etcd/v9/SHA256SUMS")}", locked.Find("etcd", "9.0.0")!.For("amd64")!.Source);
        Assert.Equal("hand-checked", locked.Find("kept", "1.0.0")!.For("amd64")!.Source);
        var text = File.ReadAllText(pins);
        Assert.StartsWith("# top comment stays\n", text, StringComparison.Ordinal);
        Assert.Contains("- name: kubelet   # trailing comment stays", text, StringComparison.Ordinal);
        Assert.DoesNotContain("none yet", text, StringComparison.Ordinal);
        Assert.Contains(report.Lines(), l => l.StartsWith("filled runc 1.0.0 (amd64)", StringComparison.Ordinal) && l.Contains("runc.sha256sum", StringComparison.Ordinal));

        // nothing but checksum files was downloaded
        Assert.DoesNotContain(f.Server.Requests, r => r.Path.EndsWith("kubelet", StringComparison.Ordinal) || r.Path.EndsWith(".tar.gz", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_Fill_From_A_Bare_Download_Only_When_Allowed_And_Say_So()
    {
        // Given
        await using var f = await DownloadFixture.StartTlsAsync();
        var manifest = "kind: DaemonSet\n"u8.ToArray();
        var url = f.Server.Add("calico/v3/manifests/calico.yaml", manifest);
        var yaml = $"""
            schemaVersion: 1
            components:
            - name: calico-manifest
              version: 3.0.0
              layout: {Layout("calico.yaml")}
              artifacts:
                noarch:
                  url: {url}
                  sha256: null
                  source: 'none found: fill with the Lock task'
            """;
        var pins = f.Temp.Write("pins.yaml", yaml);
        using var downloader = f.CreateDownloader();
        var locker = new PinsLocker(downloader);

        // When
        var refused = await locker.LockAsync(pins, allowDownload: false, cancellationToken: TestContext.Current.CancellationToken);

        // Then: nothing written, and the report says why and how
        Assert.Equal(yaml, File.ReadAllText(pins));
        var problem = Assert.Single(refused.Unfilled).Problem!;
        Assert.Contains("no published checksum found", problem, StringComparison.Ordinal);
        Assert.Contains("--lock_download=true", problem, StringComparison.Ordinal);

        // When allowed
        var computed = await locker.LockAsync(pins, allowDownload: true, cancellationToken: TestContext.Current.CancellationToken);

        // Then: filled, and marked as computed from a download
        var entry = Assert.Single(computed.Filled);
        Assert.True(entry.Computed);
        var artifact = PinsLoader.LoadValid(pins).Find("calico-manifest", "3.0.0")!.For("noarch")!;
        Assert.Equal(Hex(manifest), artifact.Sha256);
        Assert.StartsWith("COMPUTED by Lock from an unverified download of " + url, artifact.Source, StringComparison.Ordinal);
        Assert.Contains(computed.Lines(), l => l.Contains("WARNING", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_Change_Only_The_Filled_Lines_Of_The_Real_Pins_File()
    {
        // Given: the real pins.yaml, with the calico manifest (no published checksum) served by the loopback server
        await using var f = await DownloadFixture.StartTlsAsync();
        var manifest = "kind: List\n"u8.ToArray();
        var url = f.Server.Add("projectcalico/calico/v3.31.7/manifests/calico.yaml", manifest);
        var original = File.ReadAllText(Support.Repo.File("pins.yaml"))
            .Replace("https://raw.githubusercontent.com/projectcalico/calico/v3.31.7/manifests/calico.yaml", url.ToString(), StringComparison.Ordinal)
            .Replace("sha256: d6d8a489a4ed8e5b8efd8b339047b496ca657b55ee2e3618e791507b0a853e8d", "sha256: null", StringComparison.Ordinal);
        var pins = f.Temp.Write("pins.yaml", original);
        using var downloader = f.CreateDownloader();

        // When
        var report = await new PinsLocker(downloader).LockAsync(pins, allowDownload: true, cancellationToken: TestContext.Current.CancellationToken);

        // Then: one entry filled; exactly its sha256 and source lines differ
        Assert.Single(report.Filled);
        var before = original.Split('\n');
        var after = File.ReadAllText(pins).Split('\n');
        Assert.Equal(before.Length, after.Length);
        var changed = before.Zip(after).Where(p => p.First != p.Second).ToList();
        Assert.Equal(2, changed.Count);
        Assert.Equal("      sha256: null", changed[0].First);
        Assert.Equal("      sha256: " + Hex(manifest), changed[0].Second);
        Assert.StartsWith("      source: 'COMPUTED by Lock", changed[1].Second, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("abc", "x", null)]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "anything", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef  ./cni.tgz", "cni.tgz", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("1111111111111111111111111111111111111111111111111111111111111111  a\n2222222222222222222222222222222222222222222222222222222222222222  b", "c", null)]
    public void Should_Parse_Checksum_Files(string text, string file, string? expected) =>
        Assert.Equal(expected, ChecksumSources.Find(text, file));

    private static string Layout(string name) => $"{{ type: file, files: [ {{ member: {name}, path: bin/{name}, mode: '0755' }} ] }}";
}
