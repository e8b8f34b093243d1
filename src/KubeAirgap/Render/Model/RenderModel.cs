namespace KubeAirgap.Render.Model;

/// <summary>
/// Everything a template may read (as snake_case names: <c>cluster.dns_ip</c>, <c>paths.pki.etcd_ca</c>). Computed in
/// <see cref="ModelBuilder"/>; templates only loop and test optional values.
/// </summary>
public sealed record RenderModel(
    NodeModel Node,
    ClusterModel Cluster,
    NodePaths Paths,
    EtcdModel Etcd,
    ControlPlaneModel ControlPlane,
    KubeletModel Kubelet,
    KubeProxyModel KubeProxy,
    ContainerdModel Containerd,
    KubeNginxModel KubeNginx,
    HostModel Host,
    AddonsModel Addons);

public sealed record NodeModel(string Name, string Ip);

public sealed record ClusterModel(
    string Name,
    string KubernetesVersion,
    string Domain,
    string DnsIp,
    string KubernetesServiceIp,
    string ServiceCidr,
    string PodCidr,
    string NodePortRange,
    int SecurePort,
    string LocalApiServerUrl);

/// <summary>etcd on this node; <see cref="VersionFlags"/> come from the version table.</summary>
public sealed record EtcdModel(
    string Name,
    string PeerUrl,
    string ClientUrl,
    string ListenClientUrls,
    string MetricsUrl,
    string InitialCluster,
    string InitialClusterToken,
    string InitialClusterState,
    IReadOnlyList<string> VersionFlags,
    EtcdBackupModel Backup,
    int HeartbeatIntervalMs,
    int ElectionTimeoutMs);

public sealed record ControlPlaneModel(
    string EtcdServers,
    string ServiceAccountIssuer,
    string ClusterSigningDuration,
    string ApiServerKubeletClientUser,
    string ClusterAdminsGroup,
    bool CaSigner,
    string NodesGroup);

public sealed record KubeletModel(bool? FailCgroupV1);

/// <summary>kube-proxy: one of the mode blocks is set, the others are null (optional blocks in the template).</summary>
public sealed record KubeProxyModel(string Mode, bool Ipvs, bool Nftables, bool Iptables, IReadOnlyList<string> NodePortAddresses);

/// <summary>containerd: the sandbox image is the pinned pause image; the CNI key name is versioned.</summary>
public sealed record ContainerdModel(string Version, string SandboxImage, string CniBinKey, string CniBinValue, string RuncPath, string PathEnv);

public sealed record KubeNginxModel(string Listen, IReadOnlyList<string> Upstreams);

/// <summary>Kernel modules and sysctls the node needs (ipvs modules only in ipvs mode).</summary>
public sealed record HostModel(IReadOnlyList<string> Modules, IReadOnlyList<SysctlModel> Sysctls);

public sealed record SysctlModel(string Key, string Value);

/// <summary>Cluster add-ons; <see cref="DnsUpstreams"/> empty means CoreDNS serves the cluster domain only.</summary>
public sealed record AddonsModel(string CorednsImage, int CorednsReplicas, IReadOnlyList<string> DnsUpstreams);
