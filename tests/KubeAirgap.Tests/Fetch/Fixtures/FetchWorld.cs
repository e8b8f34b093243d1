using System.Text;
using KubeAirgap.Cluster;
using KubeAirgap.Diagnostics;
using KubeAirgap.Fetch;
using KubeAirgap.Content.Download;
using KubeAirgap.Layout;
using KubeAirgap.Pins;
using KubeAirgap.Roles;
using KubeAirgap.Tests.Support;
using static KubeAirgap.Tests.Fetch.Fixtures.Archives;
using KubeAirgap.Content;

namespace KubeAirgap.Tests.Fetch.Fixtures;

/// <summary>
/// A TEST pins file whose URLs point at a loopback mirror serving fixture artifacts (plain binaries, etcd tarballs, a
/// calico manifest, an nginx source tarball signed with a throw-away OpenPGP key).
/// </summary>
public sealed class FetchWorld : IAsyncDisposable
{
    public const string Kubernetes = "1.99.1";

    private readonly StringBuilder _components = new();

    private FetchWorld(MirrorServer server)
    {
        Server = server;
        Key = new PgpTestKey("Test Release Signer <release@example.org>");
        Directory.CreateDirectory(Temp.Combine("pgp"));
        Key.WritePublicKey(Temp.Combine("pgp", "release.key"));
        Cache = new ArtifactCache(Temp.Combine("cache"));
    }

    public MirrorServer Server { get; }

    public TempDirectory Temp { get; } = new("kag-fetchworld");

    public PgpTestKey Key { get; }

    public ArtifactCache Cache { get; }

    public string PinsDirectory => Temp.Path;

    /// <summary>The bytes served for each fixture path.</summary>
    public Dictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);

    public static async Task<FetchWorld> StartAsync()
    {
        var world = new FetchWorld(await MirrorServer.StartAsync());
        world.AddDefaults();
        return world;
    }

    public static PayloadKey Payload(string arch, params NodeRole[] roles) => new(arch, [.. roles.Order()]);

    public string PinsYaml(string? calicoSha = "computed") =>
        $$"""
        schemaVersion: 1
        releases:
        - kubernetes: {{Kubernetes}}
          components:
            etcd: 9.9.9
            nginx: 1.0.0
            calico-manifest: 3.0.0
        components:
        {{_components.ToString().Replace("CALICO_SHA", calicoSha == "computed" ? Sha("calico.yaml") : "null", StringComparison.Ordinal)}}
        """;

    public PinsFile Pins(string? calicoSha = "computed")
    {
        var diagnostics = new DiagnosticBag();
        var pins = PinsLoader.Parse(PinsYaml(calicoSha), diagnostics, "test-pins.yaml");
        diagnostics.ThrowIfErrors("test-pins.yaml");
        return pins!;
    }

    public VerifiedDownloader Downloader() => new(Cache, new DownloadOptions { Retries = 1, RetryDelay = TimeSpan.FromMilliseconds(10), IdleTimeout = TimeSpan.FromSeconds(5) });

    public async Task<(FetchPlan Plan, FetchResult Result)> FetchAsync(bool offline, params PayloadKey[] payloads)
    {
        var plan = FetchPlan.For(Pins(), Kubernetes, payloads, "test-pins.yaml");
        using var downloader = Downloader();
        var result = await new Fetcher(downloader, MirrorMap.None, 3, PinsDirectory).FetchAsync(plan, offline, cancellationToken: TestContext.Current.CancellationToken);
        return (plan, result);
    }

    public string PayloadDir(PayloadKey key) => Temp.Combine("payload", key.Name);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Temp.Dispose();
    }

    private string Sha(string path) => DownloadFixture.Sha256Of(Files[path]).Hex;

    private string Serve(string path, byte[] bytes)
    {
        Files[path] = bytes;
        return Server.Add(path, bytes).ToString();
    }

    private void AddDefaults()
    {
        foreach (var name in new[] { "kubectl", "kube-apiserver", "kube-controller-manager", "kube-scheduler" })
        {
            var amd = Serve($"k8s/amd64/{name}", Encoding.UTF8.GetBytes($"#!/bin/sh\necho {name} amd64\n"));
            var arm = Serve($"k8s/arm64/{name}", Encoding.UTF8.GetBytes($"#!/bin/sh\necho {name} arm64\n"));
            _components.Append($"""
            - name: {name}
              version: {Kubernetes}
              layout:
                type: file
                files:
                - member: {name}
                  path: bin/{name}
                  mode: '0755'
              artifacts:
                amd64:
                  url: {amd}
                  sha256: {Sha($"k8s/amd64/{name}")}
                  source: test fixture
                arm64:
                  url: {arm}
                  sha256: {Sha($"k8s/arm64/{name}")}
                  source: test fixture

            """);
        }

        var etcd = new Dictionary<string, string>();
        foreach (var arch in new[] { "amd64", "arm64" })
        {
            etcd[arch] = Serve($"etcd/etcd-v9.9.9-linux-{arch}.tar.gz", TarGz(
                new Member($"etcd-v9.9.9-linux-{arch}/etcd", $"etcd {arch}"),
                new Member($"etcd-v9.9.9-linux-{arch}/etcdctl", $"etcdctl {arch}"),
                new Member($"etcd-v9.9.9-linux-{arch}/README.md", "docs")));
        }

        _components.Append($"""
            - name: etcd
              version: 9.9.9
              layout:
                type: tar.gz
                files:
                - member: etcd-v9.9.9-linux-{"{arch}"}/etcd
                  path: bin/etcd
                  mode: '0755'
                - member: etcd-v9.9.9-linux-{"{arch}"}/etcdctl
                  path: bin/etcdctl
                  mode: '0755'
              artifacts:
                amd64:
                  url: {etcd["amd64"]}
                  sha256: {Sha("etcd/etcd-v9.9.9-linux-amd64.tar.gz")}
                arm64:
                  url: {etcd["arm64"]}
                  sha256: {Sha("etcd/etcd-v9.9.9-linux-arm64.tar.gz")}

            """);

        var calico = Serve("calico.yaml", "kind: DaemonSet\n"u8.ToArray());
        _components.Append($"""
            - name: calico-manifest
              version: 3.0.0
              layout:
                type: file
                files:
                - member: calico.yaml
                  path: addons/calico.yaml
                  mode: '0644'
              artifacts:
                noarch:
                  url: {calico}
                  sha256: CALICO_SHA

            """);

        var source = Temp.Write("upstream/nginx-1.0.0.tar.gz", "nginx source tarball");
        Key.Sign(source, source + ".asc");
        var nginx = Serve("nginx/nginx-1.0.0.tar.gz", File.ReadAllBytes(source));
        var asc = Serve("nginx/nginx-1.0.0.tar.gz.asc", File.ReadAllBytes(source + ".asc"));
        _components.Append($"""
            - name: nginx
              version: 1.0.0
              license: BSD-2-Clause
              layout:
                type: source
                files: []
              artifacts:
                noarch:
                  url: {nginx}
                  sha256: {Sha("nginx/nginx-1.0.0.tar.gz")}
                  signature:
                    url: {asc}
                    keys:
                    - pgp/release.key

            """);
    }
}
