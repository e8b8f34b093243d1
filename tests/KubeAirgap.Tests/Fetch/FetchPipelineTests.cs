using KubeAirgap.Cluster;
using KubeAirgap.Diagnostics;
using KubeAirgap.Fetch;
using KubeAirgap.Fetch.Pgp;
using KubeAirgap.Fetch.Progress;
using KubeAirgap.Layout;
using KubeAirgap.Pins;
using KubeAirgap.Roles;
using KubeAirgap.Tests.Fetch.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Fetch;

/// <summary>Plan, fetch, verify and stage against a loopback mirror with a TEST pins file.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FetchPipelineTests
{
    private static readonly PayloadKey AmdEtcd = FetchWorld.Payload("amd64", NodeRole.Etcd);
    private static readonly PayloadKey ArmAll = FetchWorld.Payload("arm64", NodeRole.Etcd, NodeRole.ControlPlane);

    [Fact]
    public async Task Should_Fetch_Verify_And_Stage_Every_Payload()
    {
        // Given
        await using var w = await FetchWorld.StartAsync();

        // When
        var (plan, result) = await w.FetchAsync(false, AmdEtcd, ArmAll);
        var staged = Stager.Stage(plan, result, w.PayloadDir);

        // Then: binaries and archive members per layout, with modes
        Assert.Equal([AmdEtcd, ArmAll], staged);
        Assert.Equal("etcd amd64", File.ReadAllText(Path.Combine(w.PayloadDir(AmdEtcd), "bin/etcd")));
        Assert.Equal("etcdctl arm64", File.ReadAllText(Path.Combine(w.PayloadDir(ArmAll), "bin/etcdctl")));
        Assert.Contains("kube-apiserver arm64", File.ReadAllText(Path.Combine(w.PayloadDir(ArmAll), "bin/kube-apiserver")), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(w.PayloadDir(AmdEtcd), "bin/kube-apiserver")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
            | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
            File.GetUnixFileMode(Path.Combine(w.PayloadDir(AmdEtcd), "bin/kubectl")));

        // the calico manifest goes to addons/, only where the control plane is
        Assert.Equal("kind: DaemonSet\n", File.ReadAllText(Path.Combine(w.PayloadDir(ArmAll), "addons/calico.yaml")));
        Assert.False(File.Exists(Path.Combine(w.PayloadDir(AmdEtcd), "addons/calico.yaml")));

        // the nginx source stays in the cache, recorded with its verified signature
        var nginx = StagedSource.Read(w.PayloadDir(AmdEtcd), "nginx");
        Assert.Equal("1.0.0", nginx.Version);
        Assert.Equal(w.Key.Fingerprint, nginx.SignedBy);
        Assert.Equal(w.Files["nginx/nginx-1.0.0.tar.gz"], File.ReadAllBytes(nginx.Path));
        Assert.StartsWith(w.Cache.Root, nginx.Path, StringComparison.Ordinal);
        Assert.Equal(w.Key.Fingerprint, PgpVerifier.Verify(nginx.Path, nginx.SignaturePath!, [Path.Combine(w.PinsDirectory, "pgp/release.key")]).Fingerprint);

        // unique artifacts are downloaded once even when several payloads need them
        Assert.Single(w.Server.RequestsFor("nginx/nginx-1.0.0.tar.gz"));
        Assert.Equal(plan.Artifacts.Count, result.Artifacts.Count(a => a.Source is not null));
        Assert.Contains("kube-apiserver", FetchSummary.Plain(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_Serve_A_Second_Run_From_The_Cache_And_Leave_Staged_Payloads_Alone()
    {
        // Given
        await using var w = await FetchWorld.StartAsync();
        var (plan, first) = await w.FetchAsync(false, AmdEtcd);
        Stager.Stage(plan, first, w.PayloadDir);
        var requests = w.Server.Requests.Count;

        // When
        var (_, second) = await w.FetchAsync(false, AmdEtcd);
        var staged = Stager.Stage(plan, second, w.PayloadDir);

        // Then
        Assert.All(second.Artifacts, a => Assert.Null(a.Source));
        Assert.Equal(requests, w.Server.Requests.Count);
        Assert.Empty(staged);
        Assert.Contains("cache", FetchSummary.Plain(second), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_List_Every_Missing_Artifact_When_Offline_With_A_Partly_Filled_Cache()
    {
        // Given: the cache holds what the amd64 etcd payload needs
        await using var w = await FetchWorld.StartAsync();
        await w.FetchAsync(false, AmdEtcd);
        var requests = w.Server.Requests.Count;

        // When
        var e = await Assert.ThrowsAsync<OfflineMissingException>(() => w.FetchAsync(true, AmdEtcd, ArmAll));

        // Then: all six arm64/noarch artifacts that are missing, at once, and no network use
        Assert.Equal(
            ["calico-manifest 3.0.0 noarch", "etcd 9.9.9 arm64", "kube-apiserver 1.99.1 arm64", "kube-controller-manager 1.99.1 arm64", "kube-scheduler 1.99.1 arm64", "kubectl 1.99.1 arm64"],
            e.Missing.Select(m => m[..m.IndexOf(':', StringComparison.Ordinal)]).Order(StringComparer.Ordinal));
        Assert.Contains("--offline", e.Message, StringComparison.Ordinal);
        Assert.Equal(requests, w.Server.Requests.Count);

        // and the part that is cached works offline
        var (_, result) = await w.FetchAsync(true, AmdEtcd);
        Assert.Equal(3, result.Artifacts.Count);
    }

    [Fact]
    public async Task Should_Refuse_A_Tampered_Source_Signature()
    {
        // Given: the mirror serves a signature over other bytes
        await using var w = await FetchWorld.StartAsync();
        var other = w.Temp.Write("other.tar.gz", "something else");
        w.Key.Sign(other, other + ".asc");
        w.Server.Add("nginx/nginx-1.0.0.tar.gz.asc", File.ReadAllBytes(other + ".asc"));

        // When
        var e = await Assert.ThrowsAsync<SignatureException>(() => w.FetchAsync(false, AmdEtcd));

        // Then
        Assert.Contains("nginx 1.0.0 (noarch)", e.Message, StringComparison.Ordinal);
        Assert.Contains("BAD signature", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(w.Cache.Root, "extra")) && Directory.EnumerateFiles(Path.Combine(w.Cache.Root, "extra")).Any());
    }

    [Fact]
    public async Task Should_Fetch_The_Signature_Again_When_The_Cached_One_Is_Refused_By_Rotated_Keys()
    {
        // Given: a cache filled under one release key, then the trusted key rotates and the mirror re-signs
        // (CI stop 12: a persistent cache kept a signature by a key the new pins no longer trust; Fetch failed)
        await using var w = await FetchWorld.StartAsync();
        await w.FetchAsync(false, AmdEtcd);
        var rotated = new PgpTestKey("Rotated Release Signer <release@example.org>");
        rotated.WritePublicKey(Path.Combine(w.PinsDirectory, "pgp/release.key"));
        var tarball = w.Temp.Combine("rotated-nginx-1.0.0.tar.gz");
        File.WriteAllBytes(tarball, w.Files["nginx/nginx-1.0.0.tar.gz"]);
        rotated.Sign(tarball, tarball + ".asc");
        w.Server.Add("nginx/nginx-1.0.0.tar.gz.asc", File.ReadAllBytes(tarball + ".asc"));

        // When
        var (_, result) = await w.FetchAsync(false, AmdEtcd);

        // Then: the fresh signature verified and replaced the refused one; the tarball itself came from the cache
        var nginx = result.Artifacts.Single(a => a.Item.Component.Name == "nginx");
        Assert.Equal(rotated.Fingerprint, nginx.Signer!.Fingerprint);
        Assert.Equal(File.ReadAllBytes(tarball + ".asc"), File.ReadAllBytes(nginx.SignaturePath!));
        Assert.Null(nginx.Source);
        Assert.Equal(2, w.Server.RequestsFor("nginx/nginx-1.0.0.tar.gz.asc").Count);
    }

    [Fact]
    public async Task Should_Refuse_A_Cached_Signature_By_An_Untrusted_Key_When_The_Mirror_Cannot_Supply_Another()
    {
        // Given: the trusted key rotates, but the mirror still serves the old signature
        await using var w = await FetchWorld.StartAsync();
        await w.FetchAsync(false, AmdEtcd);
        new PgpTestKey("Rotated Release Signer <release@example.org>").WritePublicKey(Path.Combine(w.PinsDirectory, "pgp/release.key"));

        // When
        var e = await Assert.ThrowsAsync<SignatureException>(() => w.FetchAsync(false, AmdEtcd));

        // Then
        Assert.Contains("nginx 1.0.0 (noarch)", e.Message, StringComparison.Ordinal);
        Assert.Contains("not among the trusted keys", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_Refuse_A_Pin_Without_Checksum_And_Tell_To_Run_Lock()
    {
        // Given
        await using var w = await FetchWorld.StartAsync();

        // When
        var e = Assert.Throws<InputException>(() => FetchPlan.For(w.Pins(calicoSha: null), FetchWorld.Kubernetes, [ArmAll], "test-pins.yaml"));

        // Then
        Assert.Contains("calico-manifest 3.0.0 (noarch) has no checksum", e.Message, StringComparison.Ordinal);
        Assert.Contains("--target=Lock", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_Plan_The_Real_Pins_For_Both_Kubernetes_Versions()
    {
        // Given
        var pins = PinsLoader.LoadValid(Repo.File("pins.yaml"));
        var worker = FetchWorld.Payload("arm64", NodeRole.Etcd, NodeRole.Worker);
        var all = FetchWorld.Payload("amd64", NodeRole.Etcd, NodeRole.ControlPlane, NodeRole.Worker);

        // When
        var plan = FetchPlan.For(pins, "1.35.7", [worker]);
        var full = FetchPlan.For(pins, "1.36.3", [all]);

        // Then
        Assert.Contains(plan.Artifacts, a => a.Component.Name == "crictl" && a.Component.Version == "1.35.0" && a.Arch == "arm64");
        Assert.Contains(plan.Artifacts, a => a.Component.Name == "nginx" && a.Arch == "noarch" && a.Artifact.Signature is not null);
        Assert.Equal(new[] { "etcd", "containerd", "runc", "cni-plugins", "crictl", "kubelet", "kube-proxy", "kubectl", "nginx" }.Order(StringComparer.Ordinal), plan.Artifacts.Select(a => a.Component.Name).Order(StringComparer.Ordinal));
        Assert.Contains(full.Artifacts, a => a.Component.Name == "calico-manifest" && a.Artifact.Sha256 == "d6d8a489a4ed8e5b8efd8b339047b496ca657b55ee2e3618e791507b0a853e8d");
    }

    [Fact]
    public void Should_Try_Mirrors_In_Order_Before_Upstream()
    {
        var map = MirrorMap.Parse("https://dl.k8s.io/ -> https://m1.internal/k8s/, https://github.com/ -> https://m1.internal/gh/,https://dl.k8s.io/ -> https://m2.internal/k8s/");

        Assert.Equal(
            ["https://m1.internal/k8s/release/v1/kubelet", "https://m2.internal/k8s/release/v1/kubelet", "https://dl.k8s.io/release/v1/kubelet"],
            map.Candidates("https://dl.k8s.io/release/v1/kubelet").Select(u => u.ToString()));
        Assert.Equal(["https://m1.internal/gh/x"], (map with { Upstream = false }).Candidates("https://github.com/x").Select(u => u.ToString()));
        Assert.Empty((map with { Upstream = false }).Candidates("https://nginx.org/download/nginx-1.30.4.tar.gz"));
        Assert.Throws<FormatException>(() => MirrorMap.Parse("https://dl.k8s.io/ => nowhere"));
    }
}
