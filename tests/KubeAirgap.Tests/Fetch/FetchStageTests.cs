using KubeAirgap.Roles;
using KubeAirgap.Cluster;
using KubeAirgap.Fetch;
using KubeAirgap.Tests.Fetch.Fixtures;

namespace KubeAirgap.Tests.Fetch;

/// <summary>The Fetch stage (moved out of FetchTask): lock what is unlocked unless offline, fetch, stage, report.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FetchStageTests
{
    [Fact]
    public async Task Should_Stage_Every_Payload_Then_Find_Them_Unchanged_Offline_And_Log_Plain_Lines()
    {
        // Given: two payloads and a pins file whose every artifact is locked
        await using var w = await FetchWorld.StartAsync();
        var payloads = new[] { FetchWorld.Payload("amd64", NodeRole.Etcd, NodeRole.ControlPlane), FetchWorld.Payload("arm64", NodeRole.Etcd, NodeRole.ControlPlane) };
        var pins = w.Pins();
        var log = new List<string>();
        using var downloader = w.Downloader();
        var stage = new FetchStage(downloader, MirrorMap.None, 2, w.PinsDirectory, log.Add);

        // When: a first run, then one offline
        var plan = FetchPlan.For(pins, FetchWorld.Kubernetes, payloads, "test-pins.yaml");
        var first = await stage.RunAsync(plan, offline: false, w.PayloadDir);
        var firstLog = log.ToList();
        log.Clear();
        await stage.RunAsync(FetchPlan.For(pins, FetchWorld.Kubernetes, payloads, "test-pins.yaml", offline: true), offline: true, w.PayloadDir);

        // Then: each payload staged once, then unchanged; the plain summary closes each run
        Assert.All(payloads, p =>
        {
            Assert.Contains($"payload {p.Name}: staged", firstLog);
            Assert.Contains($"payload {p.Name}: unchanged", log);
            Assert.True(Directory.Exists(w.PayloadDir(p)));
        });
        Assert.Equal(KubeAirgap.Fetch.Progress.FetchSummary.Plain(first), firstLog[^1]);
    }

    [Fact]
    public async Task Should_Not_Lock_When_Offline()
    {
        // Given: the calico manifest has no checksum in pins.yaml
        await using var w = await FetchWorld.StartAsync();
        var path = Path.Combine(w.PinsDirectory, "pins.yaml");
        File.WriteAllText(path, w.PinsYaml(calicoSha: null));
        var pins = w.Pins(calicoSha: null);
        using var downloader = w.Downloader();
        var stage = new FetchStage(downloader, MirrorMap.None, 2, w.PinsDirectory, _ => { });

        // When
        var result = await stage.LockAsync(path, pins, FetchWorld.Kubernetes, [FetchWorld.Payload("amd64", NodeRole.ControlPlane)], offline: true);

        // Then: the same pins, the file untouched, nothing requested from the mirror
        Assert.Same(pins, result);
        Assert.Equal(w.PinsYaml(calicoSha: null), File.ReadAllText(path));
        Assert.Empty(w.Server.Requests);
    }
}
