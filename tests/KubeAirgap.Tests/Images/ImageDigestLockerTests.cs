using KubeAirgap.Images.Lock;
using KubeAirgap.Pins;
using KubeAirgap.Tests.Images.Fixtures;

namespace KubeAirgap.Tests.Images;

public sealed class ImageDigestLockerTests : IDisposable
{
    private readonly TestRegistry _registry = new();
    private readonly PullFixture _fixture = new();

    [Fact]
    public async Task Should_Fill_Missing_Digests_In_Place_And_Report_What_It_Could_Not_Resolve()
    {
        // Given: the repository's pins.yaml with its images pointed at the loopback registry, one of them missing there
        var pause = _registry.Push("pause", "3.10.2", TestImages.Index(TestImages.Image("pause"), TestImages.Image("pause arm", "arm64")));
        var text = (await File.ReadAllTextAsync(Support.Repo.File("pins.yaml"), TestContext.Current.CancellationToken))
            .Replace("registry.k8s.io/", _registry.Host + "/", StringComparison.Ordinal)
            .Replace("quay.io/", _registry.Host + "/", StringComparison.Ordinal);
        Assert.DoesNotContain(PinsLoader.Parse(text, new KubeAirgap.Diagnostics.DiagnosticBag())!.Images, i => !i.Ref.StartsWith(_registry.Host, StringComparison.Ordinal));
        var pinsPath = Path.Combine(_fixture.Root, "pins.yaml");
        await File.WriteAllTextAsync(pinsPath, text, TestContext.Current.CancellationToken);
        using var client = _fixture.Client();

        // When
        var entries = await new ImageDigestLocker(client).LockAsync(pinsPath, TestContext.Current.CancellationToken);

        // Then
        var pins = PinsLoader.LoadValid(pinsPath);
        Assert.Equal(pause, pins.FindImage("pause", "3.10.2")!.Digest);
        Assert.Null(pins.FindImage("pause", "3.10.1")!.Digest);
        Assert.Contains(entries, e => e.Ref.EndsWith("pause:3.10.1", StringComparison.Ordinal) && e.Problem!.Contains("404", StringComparison.Ordinal));
        var before = text.Split('\n');
        var after = (await File.ReadAllTextAsync(pinsPath, TestContext.Current.CancellationToken)).Split('\n');
        Assert.Equal(before.Length, after.Length);
        Assert.Single(before.Zip(after), p => p.First != p.Second);
    }

    public void Dispose()
    {
        _registry.Dispose();
        _fixture.Dispose();
    }
}
