using KubeAirgap.ImageRefs;
using KubeAirgap.Images;
using KubeAirgap.Images.Oci;
using KubeAirgap.Images.Registry;
using KubeAirgap.Tests.Images.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Images;

/// <summary>The Images stage end to end on a real registry: pull, archive, rebuild, offline, completeness.</summary>
public sealed class ImageStageTests : IDisposable
{
    private readonly TestRegistry _registry = new();
    private readonly PullFixture _fixture = new();
    private readonly TempDirectory _node = new("kag-node");

    [Fact]
    public async Task Should_Keep_An_Up_To_Date_Archive_And_Rebuild_Offline_From_The_Cache()
    {
        // Given
        var digest = _registry.Push("k8s/pause", "3.10.2", TestImages.Image("pause"));
        var images = new[] { ImageReference.Parse($"{_registry.Host}/k8s/pause:3.10.2@{digest}") };
        var archive = _fixture.Output("payload/images/images.oci.tar");
        using (var client = _fixture.Client())
        {
            Assert.True(await new ImageStage(client).BuildAsync(archive, images, "amd64", DateTimeOffset.UnixEpoch, TestContext.Current.CancellationToken));
        }

        var first = await File.ReadAllBytesAsync(archive, TestContext.Current.CancellationToken);
        _registry.Dispose();

        // When: the registry is gone, the network is forbidden, and the archive is rebuilt from scratch
        using var offline = _fixture.Client(options: new RegistryOptions { Offline = true });
        var kept = await new ImageStage(offline).BuildAsync(archive, images, "amd64", DateTimeOffset.UnixEpoch, TestContext.Current.CancellationToken);
        File.Delete(archive);
        var rebuilt = await new ImageStage(offline).BuildAsync(archive, images, "amd64", DateTimeOffset.UnixEpoch, TestContext.Current.CancellationToken);

        // Then
        Assert.False(kept);
        Assert.True(rebuilt);
        Assert.Equal(first, await File.ReadAllBytesAsync(archive, TestContext.Current.CancellationToken));
        Assert.Equal(0, offline.BytesDownloaded);
    }

    [Fact]
    public async Task Should_Refuse_An_Unpinned_Image_Offline()
    {
        // Given
        using var offline = _fixture.Client(options: new RegistryOptions { Offline = true });

        // When
        var error = await Assert.ThrowsAsync<RegistryException>(() =>
            new ImageStage(offline).BuildAsync(_fixture.Output("x.tar"), [ImageReference.Parse($"{_registry.Host}/k8s/pause:3.10.2")], "amd64", DateTimeOffset.UnixEpoch, TestContext.Current.CancellationToken));

        // Then
        Assert.Contains("--offline", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_Check_A_Rendered_Node_Against_Its_Archive()
    {
        // Given
        _registry.Push("k8s/pause", "3.10.2", TestImages.Image("pause"));
        var archive = _fixture.Output("images.oci.tar");
        using var client = _fixture.Client();
        await new ImageStage(client).BuildAsync(archive, [ImageReference.Parse($"{_registry.Host}/k8s/pause:3.10.2")], "amd64", DateTimeOffset.UnixEpoch, TestContext.Current.CancellationToken);
        _node.Write("etc/containerd/config.toml", $"version = 2\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"{_registry.Host}/k8s/pause:3.10.2\"\n");
        _node.Write("addons/coredns.yaml", $"spec:\n  containers:\n  - image: {_registry.Host}/k8s/coredns:v1.14.2\n");

        // When
        var errors = ImageStage.CheckNode(_node.Path, archive, "amd64");

        // Then
        var error = Assert.Single(errors);
        Assert.EndsWith("coredns.yaml:3:1 image: image " + $"{_registry.Host}/k8s/coredns:v1.14.2 is not in {archive}; add it to pins.yaml images or cluster.yaml images.extra", error.ToString(), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _registry.Dispose();
        _fixture.Dispose();
        _node.Dispose();
    }
}
