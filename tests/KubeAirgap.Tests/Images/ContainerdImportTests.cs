using KubeAirgap.ImageRefs;
using KubeAirgap.Images.Archive;
using KubeAirgap.Images.Oci;
using KubeAirgap.Images.Pull;
using KubeAirgap.Tests.Images.Fixtures;

namespace KubeAirgap.Tests.Images;

/// <summary>The archive the Images stage writes, imported by a real containerd (1.6, Debian) and run with runc.</summary>
public sealed class ContainerdImportTests : IDisposable
{
    private const string Message = "hello from a kube-airgap image archive";

    private readonly TestRegistry _registry = new();
    private readonly PullFixture _fixture = new();

    [Fact]
    public async Task Should_Import_Every_Image_Under_Its_Full_Name_Complete_And_Runnable()
    {
        // Given: a single-arch image, a multi-arch index and a Docker schema 2 image, all sharing the busybox layer
        var hello = _registry.Push("demo/hello", "1.0", TestImages.Image(Message));
        var multi = _registry.Push("demo/multi", "2.0", TestImages.Index(TestImages.Image("multi amd64"), TestImages.Image("multi arm64", "arm64")));
        var docker = _registry.Push("demo/docker", "3.0", TestImages.Image("docker schema 2", docker: true));
        var references = new[] { "demo/hello:1.0", "demo/multi:2.0", $"demo/docker:3.0@{docker}" }
            .Select(r => ImageReference.Parse($"{_registry.Host}/{r}")).ToList();
        using var client = _fixture.Client();
        var pulled = await new ImagePuller(client).PullAllAsync(references, "amd64", TestContext.Current.CancellationToken);
        var archive = _fixture.Output("images.oci.tar");
        await OciArchive.WriteAsync(archive, pulled, client.Cache, DateTimeOffset.UnixEpoch, TestContext.Current.CancellationToken);
        using var containerd = new TestContainerd();

        // When
        var import = containerd.Ctr("images", "import", archive);
        var list = containerd.Ctr("images", "ls");
        var check = containerd.Ctr("images", "check");
        var run = containerd.Ctr("run", "--rm", $"{_registry.Host}/demo/hello:1.0", "kag-hello-" + Environment.ProcessId);

        // Then
        Assert.True(import.ExitCode == 0, import.Output);
        var expected = new Dictionary<string, string>
        {
            [$"{_registry.Host}/demo/hello:1.0"] = hello,
            [$"{_registry.Host}/demo/hello@{hello}"] = hello,
            [$"{_registry.Host}/demo/multi:2.0"] = multi,
            [$"{_registry.Host}/demo/multi@{multi}"] = multi,
            [$"{_registry.Host}/demo/docker:3.0"] = docker,
            [$"{_registry.Host}/demo/docker@{docker}"] = docker,
        };
        var rows = list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToDictionary(c => c[0], c => c);
        foreach (var (name, digest) in expected)
        {
            Assert.True(rows.TryGetValue(name, out var row), $"{name} not in ctr images ls:\n{list.Output}");
            Assert.Contains(digest, row);
        }

        Assert.Equal(expected.Count, rows.Count);
        var checkRows = check.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        Assert.Equal(expected.Count, checkRows.Count);
        Assert.All(checkRows, r => Assert.Contains("complete", r, StringComparison.Ordinal));
        Assert.DoesNotContain(checkRows, r => r.Contains("incomplete", StringComparison.Ordinal));
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal(Message, run.Stdout.Trim());
    }

    public void Dispose()
    {
        _registry.Dispose();
        _fixture.Dispose();
    }
}
