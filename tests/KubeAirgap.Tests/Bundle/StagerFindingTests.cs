using KubeAirgap.Bundle;
using KubeAirgap.Cluster;
using KubeAirgap.Fetch;
using KubeAirgap.Layout;
using KubeAirgap.Roles;
using KubeAirgap.Tests.Fetch.Fixtures;
using KubeAirgap.Content;

namespace KubeAirgap.Tests.Bundle;

/// <summary>Issue 15 finding 1 on the Fetch side: a re-run of Fetch no longer says "unchanged" about a payload whose staged bytes were changed.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class StagerFindingTests
{
    private static readonly PayloadKey AmdEtcd = FetchWorld.Payload("amd64", NodeRole.Etcd);

    [Fact]
    public async Task Finding01_fetch_refuses_a_staged_payload_with_a_changed_binary_and_a_planted_file()
    {
        await using var w = await FetchWorld.StartAsync();
        var (plan, first) = await w.FetchAsync(false, AmdEtcd);
        Stager.Stage(plan, first, w.PayloadDir);
        var ledger = PayloadLedger.Read(w.PayloadDir(AmdEtcd));
        Assert.Equal(Sha256Hex.OfFile(Path.Combine(w.PayloadDir(AmdEtcd), "bin/etcd")), ledger["bin/etcd"].Sha256);
        File.WriteAllText(Path.Combine(w.PayloadDir(AmdEtcd), "bin/etcd"), "not the pinned etcd");
        File.WriteAllText(Path.Combine(w.PayloadDir(AmdEtcd), "bin/zz-planted"), "planted");

        var (_, second) = await w.FetchAsync(false, AmdEtcd);
        var error = Assert.Throws<InvalidDataException>(() => Stager.Stage(plan, second, w.PayloadDir));

        Assert.Contains($"bin/etcd: sha256 {Sha256Hex.OfFile(Path.Combine(w.PayloadDir(AmdEtcd), "bin/etcd"))}, but it was staged as {ledger["bin/etcd"].Sha256}", error.Message, StringComparison.Ordinal);
        Assert.Contains("bin/zz-planted: no pinned layout accounts for it", error.Message, StringComparison.Ordinal);
    }
}
