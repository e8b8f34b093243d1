using System.Text.Json;
using KubeAirgap.Nginx;
using KubeAirgap.Tests.Nginx.Fixtures;
using KubeAirgap.Tests.Support;
using KubeAirgap.Content;

namespace KubeAirgap.Tests.Nginx;

[Collection(NginxBuildCollection.Name)]
public sealed class KubeNginxPayloadTests(NginxBuildFixture fixture)
{
    [Fact]
    public void Should_Place_An_Executable_Binary_And_Its_Metadata_In_Every_Payload()
    {
        // Given two payload directories (two role sets of one arch)
        using var dir = new TempDirectory("kag-nginx-payload");
        var payloads = new[] { dir.Combine("amd64-etcd+control-plane+worker"), dir.Combine("amd64-worker") };

        // When published twice (the second run changes nothing)
        foreach (var p in payloads)
        {
            KubeNginxPayload.Publish(fixture.Second, p);
        }

        var mtime = File.GetLastWriteTimeUtc(KubeNginxPayload.BinaryPath(payloads[0]));
        KubeNginxPayload.Publish(fixture.Second, payloads[0]);

        // Then
        foreach (var p in payloads)
        {
            var binary = KubeNginxPayload.BinaryPath(p);
            Assert.Equal((UnixFileMode)0b111_101_101, OperatingSystem.IsWindows() ? default : File.GetUnixFileMode(binary));
            Assert.Equal(fixture.Second.Metadata.Sha256, Sha256Hex.OfFile(binary));
            using var json = JsonDocument.Parse(File.ReadAllText(KubeNginxPayload.MetadataPath(p)));
            var root = json.RootElement;
            Assert.Equal(NginxBuildFixture.Version, root.GetProperty("version").GetString());
            Assert.Equal(NginxBuildFixture.SourceSha256, root.GetProperty("sourceSha256").GetString());
            Assert.Equal(fixture.Second.Metadata.Glibc, root.GetProperty("glibc").GetString());
            Assert.Matches(@"^2\.\d+$", root.GetProperty("glibc").GetString()!);
            Assert.Equal(["libc.so.6"], root.GetProperty("neededLibraries").EnumerateArray().Select(e => e.GetString()));
            Assert.Contains("--with-stream", root.GetProperty("configureArgs").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(TargetArch.Host.Name, root.GetProperty("arch").GetString());
            Assert.False(root.GetProperty("static").GetBoolean());
            Assert.Equal(fixture.Second.Metadata.Sha256, root.GetProperty("sha256").GetString());
            Assert.False(string.IsNullOrEmpty(root.GetProperty("compiler").GetString()));
            Assert.False(File.Exists(KubeNginxPayload.BinaryPath(p) + ".tmp"));
        }

        Assert.Equal(mtime, File.GetLastWriteTimeUtc(KubeNginxPayload.BinaryPath(payloads[0])));
    }
}
