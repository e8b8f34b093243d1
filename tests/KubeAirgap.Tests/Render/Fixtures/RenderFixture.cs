using System.Globalization;
using KubeAirgap.Cluster;
using KubeAirgap.Diagnostics;
using KubeAirgap.Pins;
using KubeAirgap.Render;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Render.Fixtures;

/// <summary>Inventories, pins and options for render tests; renders a whole cluster into memory.</summary>
internal static class RenderFixture
{
    public static string Templates => Repo.File("templates");

    /// <summary>The real upstream manifest (projectcalico/calico v3.31.7 manifests/calico.yaml, sha256 in pins.yaml).</summary>
    public static string CalicoManifest => Repo.File("tests", "fixtures", "upstream", "calico-v3.31.7.yaml");

    /// <summary>Pins the versions Debian packages here (etcd 3.4.23, containerd 1.6.20) for Kubernetes 1.35.7 and 1.36.3.</summary>
    public static PinsFile DebianPins => PinsLoader.LoadValid(Repo.File("tests", "KubeAirgap.Tests", "Render", "Fixtures", "pins-debian.yaml"));

    public static PinsFile ShippedPins => PinsLoader.LoadValid(Repo.File("pins.yaml"));

    public static ClusterSpec ShippedCluster => Parse(File.ReadAllText(Repo.File("cluster.yaml")));

    public static string FieldList(string name) => Repo.File("tests", "KubeAirgap.Tests", "Render", "Fixtures", "fields", name);

    public static ClusterSpec Parse(string yaml)
    {
        var diagnostics = new DiagnosticBag();
        var spec = ClusterLoader.Parse(yaml, diagnostics);
        diagnostics.ThrowIfErrors("test inventory");
        return spec!;
    }

    /// <summary>A test inventory: one node per IP, every node with every role.</summary>
    public static ClusterSpec Inventory(
        IReadOnlyList<string> ips,
        string kubernetesVersion = "1.35.7",
        string proxyMode = "nftables",
        int securePort = 6443,
        int localProxyPort = 8443,
        string prefix = "/opt/kube-airgap",
        string dataRoot = "/data/k8s")
    {
        var nodes = string.Join("\n", ips.Select((ip, i) => string.Format(CultureInfo.InvariantCulture,
            "  - name: node-{0}\n    ip: {1}\n    arch: amd64\n    roles: [etcd, control-plane, worker]", i + 1, ip)));
        return Parse($"""
            apiVersion: kube-airgap/v1
            cluster:
              name: test
              kubernetesVersion: {kubernetesVersion}
              clusterDomain: cluster.local
            network:
              serviceCidr: 10.254.0.0/16
              podCidr: 172.30.0.0/16
              proxyMode: {proxyMode}
              calicoIpAutodetection: interface=eth0
            apiserver:
              securePort: {securePort}
              localProxyPort: {localProxyPort}
            paths:
              prefix: {prefix}
              etcdDataDir: {dataRoot}/etcd/data
              etcdWalDir: {dataRoot}/etcd/wal
              k8sDir: {dataRoot}/k8s
              containerdDir: {dataRoot}/containerd
            nodes:
            {nodes}
            """);
    }

    public static RenderOptions Options(string? nodeRoot = null, string? localAddress = null) => new()
    {
        TemplatesDir = Templates,
        CalicoManifest = CalicoManifest,
        NodeRoot = nodeRoot ?? "/",
        LocalAddress = localAddress,
    };

    public static IReadOnlyList<RenderedFile> Render(ClusterSpec spec, PinsFile pins, NodeSpec node, RenderOptions? options = null) =>
        new NodeRenderer(spec, pins, options ?? Options()).Render(node);

    public static string Content(this IReadOnlyList<RenderedFile> files, string path) =>
        files.SingleOrDefault(f => f.Path == path)?.Content ?? throw new KeyNotFoundException($"{path} was not rendered; have: {string.Join(", ", files.Select(f => f.Path))}");
}
