using KubeAirgap.Fetch.Extract;
using KubeAirgap.Pins;
using KubeAirgap.Tests.Fetch.Fixtures;
using KubeAirgap.Tests.Support;
using static KubeAirgap.Tests.Fetch.Fixtures.Archives;

namespace KubeAirgap.Tests.Fetch;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ArchiveExtractorTests : IDisposable
{
    private readonly TempDirectory _temp = new("kag-extract");

    public void Dispose() => _temp.Dispose();

    private static ArchiveLayout EtcdLayout(string type = "tar.gz") => new(type,
    [
        new LayoutFile("etcd-v3.6.14-linux-{arch}/etcd", "bin/etcd", "0755"),
        new LayoutFile("etcd-v3.6.14-linux-{arch}/etcdctl", "bin/etcdctl", "0750"),
    ]);

    private string Archive(string name, byte[] bytes)
    {
        var path = _temp.Combine(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Should_Extract_Only_The_Named_Members_With_Their_Modes()
    {
        // Given
        var archive = Archive("etcd.tar.gz", TarGz(
            new Member("etcd-v3.6.14-linux-arm64/", Directory: true),
            new Member("etcd-v3.6.14-linux-arm64/etcd", "etcd binary"),
            new Member("etcd-v3.6.14-linux-arm64/etcdctl", "etcdctl binary"),
            new Member("etcd-v3.6.14-linux-arm64/README.md", "docs")));
        var payload = _temp.Combine("payload");

        // When
        var files = ArchiveExtractor.Extract(archive, EtcdLayout(), "arm64", payload, "etcd 3.6.14 (arm64)");

        // Then
        Assert.Equal([Path.Combine(payload, "bin/etcd"), Path.Combine(payload, "bin/etcdctl")], files);
        Assert.Equal("etcd binary", File.ReadAllText(Path.Combine(payload, "bin/etcd")));
        Assert.Equal((UnixFileMode)Convert.ToInt32("755", 8), File.GetUnixFileMode(Path.Combine(payload, "bin/etcd")));
        Assert.Equal((UnixFileMode)Convert.ToInt32("750", 8), File.GetUnixFileMode(Path.Combine(payload, "bin/etcdctl")));
        Assert.Equal(["etcd", "etcdctl"], Directory.GetFiles(Path.Combine(payload, "bin")).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Should_Match_Members_Written_With_A_Leading_Dot_Slash()
    {
        // Given: the CNI plugins tarball names its members ./bridge
        var archive = Archive("cni.tgz", TarGz(new Member("./", Directory: true), new Member("./bridge", "bridge"), new Member("./loopback", "lo")));
        var layout = new ArchiveLayout("tgz", [new LayoutFile("./bridge", "bin/cni/bridge", "0755")]);

        // When
        ArchiveExtractor.Extract(archive, layout, "amd64", _temp.Combine("p"), "cni-plugins");

        // Then
        Assert.Equal("bridge", File.ReadAllText(_temp.Combine("p", "bin/cni/bridge")));
        Assert.False(File.Exists(_temp.Combine("p", "bin/cni/loopback")));
    }

    [Fact]
    public void Should_Extract_From_A_Zip()
    {
        // Given
        var archive = Archive("tool.zip", Zip(new Member("tool/kubectl", "zip content")));
        var layout = new ArchiveLayout("zip", [new LayoutFile("tool/kubectl", "bin/kubectl", "0755")]);

        // When
        ArchiveExtractor.Extract(archive, layout, "amd64", _temp.Combine("p"), "kubectl");

        // Then
        Assert.Equal("zip content", File.ReadAllText(_temp.Combine("p", "bin/kubectl")));
    }

    [Fact]
    public void Should_Copy_A_Plain_File_With_Its_Mode()
    {
        // Given
        var artifact = Archive("runc.amd64", "runc"u8.ToArray());
        var layout = new ArchiveLayout("file", [new LayoutFile("runc", "bin/runc", "0755")]);

        // When
        ArchiveExtractor.Extract(artifact, layout, "amd64", _temp.Combine("p"), "runc");

        // Then
        Assert.Equal("runc", File.ReadAllText(_temp.Combine("p", "bin/runc")));
        Assert.Equal((UnixFileMode)Convert.ToInt32("755", 8), File.GetUnixFileMode(_temp.Combine("p", "bin/runc")));
    }

    [Theory]
    [InlineData("../evil", "contains '..'")]
    [InlineData("etcd-v3.6.14-linux-amd64/../../evil", "contains '..'")]
    [InlineData("/etc/cron.d/evil", "absolute path")]
    public void Should_Refuse_An_Archive_With_An_Escaping_Member(string member, string reason)
    {
        // Given
        var archive = Archive("evil.tar.gz", TarGz(new Member("etcd-v3.6.14-linux-amd64/etcd", "etcd"), new Member(member, "boom")));

        // When
        var e = Assert.Throws<ArchiveException>(() => ArchiveExtractor.Extract(archive, EtcdLayout(), "amd64", _temp.Combine("p"), "etcd 3.6.14 (amd64)"));

        // Then
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.Contains("etcd 3.6.14 (amd64)", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_temp.Combine("evil")));
    }

    [Theory]
    [InlineData("/etc/shadow")]
    [InlineData("../../etc/shadow")]
    public void Should_Refuse_A_Link_Pointing_Outside(string target)
    {
        // Given
        var archive = Archive("links.tar.gz", TarGz(new Member("d/etcd", "etcd"), new Member("d/link", LinkTo: target)));
        var layout = new ArchiveLayout("tar.gz", [new LayoutFile("d/etcd", "bin/etcd", "0755")]);

        // When
        var e = Assert.Throws<ArchiveException>(() => ArchiveExtractor.Extract(archive, layout, "amd64", _temp.Combine("p"), "x"));

        // Then
        Assert.Contains("refusing the archive", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_Follow_A_Named_Link_Inside_The_Archive()
    {
        // Given
        var archive = Archive("links.tar.gz", TarGz(new Member("d/ctr", LinkTo: "real-ctr"), new Member("d/real-ctr", "ctr bytes")));
        var layout = new ArchiveLayout("tar.gz", [new LayoutFile("d/ctr", "bin/ctr", "0755")]);

        // When
        ArchiveExtractor.Extract(archive, layout, "amd64", _temp.Combine("p"), "x");

        // Then
        Assert.Equal("ctr bytes", File.ReadAllText(_temp.Combine("p", "bin/ctr")));
    }

    [Fact]
    public void Should_Name_A_Missing_Member_And_What_The_Archive_Holds()
    {
        // Given
        var archive = Archive("etcd.tar.gz", TarGz(new Member("etcd-v3.6.14-linux-amd64/etcd", "etcd")));

        // When
        var e = Assert.Throws<ArchiveException>(() => ArchiveExtractor.Extract(archive, EtcdLayout(), "amd64", _temp.Combine("p"), "etcd 3.6.14 (amd64)"));

        // Then
        Assert.Contains("has no member 'etcd-v3.6.14-linux-amd64/etcdctl'", e.Message, StringComparison.Ordinal);
        Assert.Contains("it holds: etcd-v3.6.14-linux-amd64/etcd", e.Message, StringComparison.Ordinal);
    }
}
