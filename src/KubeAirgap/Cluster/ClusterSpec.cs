using KubeAirgap.Roles;
using KubeAirgap.Yaml;

namespace KubeAirgap.Cluster;

/// <summary>The inventory (cluster.yaml) as written; derived values live in <see cref="ClusterTopology"/>.</summary>
public sealed record ClusterSpec
{
    public required string Name { get; init; }

    public required string KubernetesVersion { get; init; }

    public string ClusterDomain { get; init; } = "cluster.local";

    public NetworkSpec Network { get; init; } = new();

    public ApiServerSpec ApiServer { get; init; } = new();

    public PathsSpec Paths { get; init; } = new();

    public PkiSpec Pki { get; init; } = new();

    public ImagesSpec Images { get; init; } = new();

    public DnsSpec Dns { get; init; } = new();

    public AddonsSpec Addons { get; init; } = new();

    public EtcdSpec Etcd { get; init; } = new();

    public IReadOnlyList<NodeSpec> Nodes { get; init; } = [];

    /// <summary>Where each field was written (path → file:line:column), for validation messages.</summary>
    public IReadOnlyDictionary<string, Location> Sources { get; init; } = new Dictionary<string, Location>();

    public Location At(string path) =>
        Sources.TryGetValue(path, out var location) ? location : Location.None(Sources.Values.FirstOrDefault()?.File ?? "cluster.yaml", path);
}

public sealed record NodeSpec(string Name, string Ip, string Arch, IReadOnlySet<NodeRole> Roles)
{
    public bool Has(NodeRole role) => Roles.Contains(role);
}

public sealed record NetworkSpec
{
    /// <summary>kube-proxy's nodePortAddresses: CIDRs whose host addresses serve NodePorts (empty: every address).</summary>
    public IReadOnlyList<string> NodePortAddresses { get; init; } = [];

    public string ServiceCidr { get; init; } = "10.254.0.0/16";

    public string PodCidr { get; init; } = "172.30.0.0/16";

    public string NodePortRange { get; init; } = "30000-32767";

    /// <summary>Optional; defaults to the 2nd address of the service CIDR (the guide's CLUSTER_DNS_SVC_IP).</summary>
    public string? DnsServiceIp { get; init; }

    /// <summary>kube-proxy mode: ipvs (the guide's; deprecated since 1.35), nftables or iptables.</summary>
    public string ProxyMode { get; init; } = "nftables";

    /// <summary>
    /// Calico's IP_AUTODETECTION_METHOD. The default, <c>kubernetes-internal-ip</c>, takes the node's InternalIP, which
    /// kubelet sets from <c>--node-ip</c> (the inventory IP), so it works whatever the NIC is called (ens*, enp*, eth*).
    /// </summary>
    public string CalicoIpAutodetection { get; init; } = DefaultCalicoIpAutodetection;

    public const string DefaultCalicoIpAutodetection = "kubernetes-internal-ip";
}

public sealed record ApiServerSpec
{
    public int SecurePort { get; init; } = 6443;

    /// <summary>kube-nginx listens on 127.0.0.1:this on every node (the guide's KUBE_APISERVER).</summary>
    public int LocalProxyPort { get; init; } = 8443;

    public IReadOnlyList<string> ExtraSans { get; init; } = [];
}

public sealed record PathsSpec
{
    /// <summary>Install prefix for binaries (versioned below it).</summary>
    public string Prefix { get; init; } = "/opt/kube-airgap";

    public string EtcdDataDir { get; init; } = "/data/k8s/etcd/data";

    public string EtcdWalDir { get; init; } = "/data/k8s/etcd/wal";

    public string K8sDir { get; init; } = "/data/k8s/k8s";

    public string ContainerdDir { get; init; } = "/data/k8s/containerd";

    /// <summary>kubelet's --root-dir; null keeps kubelet's own default /var/lib/kubelet (CSI drivers and device plugins assume it).</summary>
    public string? KubeletDir { get; init; }
}

public sealed record PkiSpec
{
    /// <summary>rsa-2048, rsa-3072, rsa-4096, ecdsa-p256 or ecdsa-p384.</summary>
    public string KeyAlgorithm { get; init; } = "rsa-2048";

    public int CaValidityDays { get; init; } = 3650;

    public int LeafValidityDays { get; init; } = 365;

    /// <summary>Re-issue a leaf that expires within this many days.</summary>
    public int RenewBeforeDays { get; init; } = 30;

    /// <summary>When true the cluster CA key goes to control-plane nodes (controller-manager's CSR signer).</summary>
    public bool CaKeyOnNodes { get; init; } = true;
}

public sealed record ImagesSpec
{
    /// <summary>Additional images (users' workloads), as <c>name:tag@sha256:...</c> references.</summary>
    public IReadOnlyList<string> Extra { get; init; } = [];
}

public sealed record DnsSpec
{
    /// <summary>The site's own DNS servers, as IP addresses; CoreDNS forwards names outside the cluster domain to them. Empty: CoreDNS serves the cluster domain only.</summary>
    public IReadOnlyList<string> Upstreams { get; init; } = [];
}

public sealed record AddonsSpec
{
    /// <summary>The user's own manifests: files or directories of YAML, as written (relative to cluster.yaml).</summary>
    public IReadOnlyList<string> Extra { get; init; } = [];

    /// <summary>The directory of cluster.yaml, against which relative <see cref="Extra"/> paths resolve.</summary>
    public string BaseDir { get; init; } = ".";
}
