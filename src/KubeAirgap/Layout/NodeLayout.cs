using KubeAirgap.Cluster;

namespace KubeAirgap.Layout;

/// <summary>
/// Where every file lives on an installed node, in one place: templates, the PKI engine, the bundle and the
/// installer all take their paths from here (kubeadm's file names under /etc/kubernetes).
/// </summary>
public sealed class NodeLayout(ClusterSpec spec)
{
    public const string KubernetesDir = "/etc/kubernetes";
    public const string PkiDir = "/etc/kubernetes/pki";
    public const string EtcdPkiDir = "/etc/kubernetes/pki/etcd";
    public const string AddonsDir = "/etc/kubernetes/addons";
    public const string SystemdDir = "/etc/systemd/system";
    public const string CniBinDir = "/opt/cni/bin";
    public const string CniConfDir = "/etc/cni/net.d";
    public const string ContainerdConfig = "/etc/containerd/config.toml";
    public const string ContainerdSocket = "/run/containerd/containerd.sock";
    public const string ContainerdState = "/run/containerd";

    /// <summary>
    /// runc's state root under containerd's runc shim (io.containerd.runc.v2), one directory per containerd namespace:
    /// the shim's default when the runtime options set no Root, which the rendered config.toml does not. Uninstall
    /// finds the containers containerd left running here.
    /// </summary>
    public const string RuncRoot = "/run/containerd/runc";
    public const string ContainerdCertsDir = "/etc/containerd/certs.d";
    public const string CrictlConfig = "/etc/crictl.yaml";
    public const string KubeNginxConfig = "/etc/kube-nginx/kube-nginx.conf";
    public const string KubeNginxPrefix = "/var/lib/kube-nginx";
    public const string StateDir = "/var/lib/kube-airgap";

    /// <summary>
    /// The data directories an uninstall without --purge kept (installer lib/kept-data.sh): outside StateDir, which
    /// uninstall removes, so that a later install of the node takes them over and --purge still deletes them.
    /// </summary>
    public const string KeptDataList = "/var/lib/kube-airgap-kept-data.list";
    public const string BackupDir = "/var/lib/kube-airgap/backup";
    public const string ImagesArchive = "/var/lib/kube-airgap/images/images.oci.tar";
    public const string InstallLog = "/var/log/kube-airgap-install.log";
    public const string KubeletDir = "/var/lib/kubelet";
    public const string KubeletCertDir = "/var/lib/kubelet/pki";

    /// <summary>
    /// kubelet's resolvConf: a path the installer manages, a link to /run/systemd/resolve/resolv.conf on
    /// systemd-resolved hosts (the real servers, not the 127.0.0.53 stub; kubeadm does the same), else to /etc/resolv.conf.
    /// </summary>
    public const string KubeletResolvConf = "/etc/kubernetes/resolv.conf";
    public const string SysctlFile = "/etc/sysctl.d/99-kubernetes.conf";
    public const string ModulesLoadFile = "/etc/modules-load.d/kubernetes.conf";

    // Kubeconfigs (kubeadm's names).
    public const string AdminKubeconfig = "/etc/kubernetes/admin.conf";
    public const string SuperAdminKubeconfig = "/etc/kubernetes/super-admin.conf";
    public const string ControllerManagerKubeconfig = "/etc/kubernetes/controller-manager.conf";
    public const string SchedulerKubeconfig = "/etc/kubernetes/scheduler.conf";
    public const string KubeletKubeconfig = "/etc/kubernetes/kubelet.conf";
    public const string KubeProxyKubeconfig = "/etc/kubernetes/kube-proxy.conf";

    // Certificates and keys (kubeadm's names below /etc/kubernetes/pki); written by the PKI engine.
    public const string CaCert = "/etc/kubernetes/pki/ca.crt";
    public const string CaKey = "/etc/kubernetes/pki/ca.key";
    public const string FrontProxyCaCert = "/etc/kubernetes/pki/front-proxy-ca.crt";
    public const string FrontProxyCaKey = "/etc/kubernetes/pki/front-proxy-ca.key";
    public const string EtcdCaCert = "/etc/kubernetes/pki/etcd/ca.crt";
    public const string EtcdCaKey = "/etc/kubernetes/pki/etcd/ca.key";
    public const string ApiServerCert = "/etc/kubernetes/pki/apiserver.crt";
    public const string ApiServerKey = "/etc/kubernetes/pki/apiserver.key";
    public const string ApiServerKubeletClientCert = "/etc/kubernetes/pki/apiserver-kubelet-client.crt";
    public const string ApiServerKubeletClientKey = "/etc/kubernetes/pki/apiserver-kubelet-client.key";
    public const string ApiServerEtcdClientCert = "/etc/kubernetes/pki/apiserver-etcd-client.crt";
    public const string ApiServerEtcdClientKey = "/etc/kubernetes/pki/apiserver-etcd-client.key";
    public const string FrontProxyClientCert = "/etc/kubernetes/pki/front-proxy-client.crt";
    public const string FrontProxyClientKey = "/etc/kubernetes/pki/front-proxy-client.key";
    public const string EtcdServerCert = "/etc/kubernetes/pki/etcd/server.crt";
    public const string EtcdServerKey = "/etc/kubernetes/pki/etcd/server.key";
    public const string EtcdPeerCert = "/etc/kubernetes/pki/etcd/peer.crt";
    public const string EtcdPeerKey = "/etc/kubernetes/pki/etcd/peer.key";
    public const string EtcdHealthcheckClientCert = "/etc/kubernetes/pki/etcd/healthcheck-client.crt";
    public const string EtcdHealthcheckClientKey = "/etc/kubernetes/pki/etcd/healthcheck-client.key";
    public const string ServiceAccountKey = "/etc/kubernetes/pki/sa.key";
    public const string ServiceAccountPub = "/etc/kubernetes/pki/sa.pub";
    public const string KubeletServingCert = "/etc/kubernetes/pki/kubelet.crt";
    public const string KubeletServingKey = "/etc/kubernetes/pki/kubelet.key";

    // Component configuration documents.
    public const string EncryptionConfig = "/etc/kubernetes/encryption-config.yaml";
    public const string AuditPolicy = "/etc/kubernetes/audit-policy.yaml";
    public const string SchedulerConfig = "/etc/kubernetes/kube-scheduler.yaml";
    public const string KubeletConfig = "/var/lib/kubelet/config.yaml";
    public const string KubeProxyConfig = "/etc/kubernetes/kube-proxy.yaml";

    /// <summary>Binaries: versioned directories below the prefix, the active one reached through <c>current</c>.</summary>
    public string BinDir => $"{spec.Paths.Prefix}/current/bin";

    public string Bin(string name) => $"{BinDir}/{name}";

    public string EtcdDataDir => spec.Paths.EtcdDataDir;

    public string EtcdWalDir => spec.Paths.EtcdWalDir;

    public string ContainerdRoot => spec.Paths.ContainerdDir;

    /// <summary>kubelet's --root-dir: its own default unless the inventory sets paths.kubeletDir.</summary>
    public string KubeletRootDir => spec.Paths.KubeletDir ?? KubeletDir;

    public string AuditLogDir => $"{spec.Paths.K8sDir}/kube-apiserver";

    public static string Pki(string file) => $"{PkiDir}/{file}";

    public static string EtcdPki(string file) => $"{EtcdPkiDir}/{file}";

    /// <summary>
    /// The bundle's tree mirrors the node: <c>bin/</c> goes to <see cref="BinDir"/> (and <c>bin/cni/</c> to
    /// <see cref="CniBinDir"/>), <c>images/</c> to <see cref="ImagesArchive"/>'s folder, <c>pki/</c> to
    /// <see cref="PkiDir"/>, <c>addons/</c> to <see cref="AddonsDir"/>, and <c>etc/</c>, <c>var/</c> to the same
    /// paths below <c>/</c>.
    /// </summary>
    public string NodePathOf(string bundlePath)
    {
        var p = bundlePath.Replace('\\', '/').TrimStart('/');
        return p switch
        {
            _ when p.StartsWith("bin/cni/", StringComparison.Ordinal) => $"{CniBinDir}/{p["bin/cni/".Length..]}",
            _ when p.StartsWith("bin/", StringComparison.Ordinal) => $"{BinDir}/{p["bin/".Length..]}",
            _ when p.StartsWith("images/", StringComparison.Ordinal) => $"{StateDir}/images/{p["images/".Length..]}",
            _ when p.StartsWith("pki/", StringComparison.Ordinal) => $"{PkiDir}/{p["pki/".Length..]}",
            _ when p.StartsWith("addons/", StringComparison.Ordinal) => $"{AddonsDir}/{p["addons/".Length..]}",
            _ when p.StartsWith("etc/", StringComparison.Ordinal) || p.StartsWith("var/", StringComparison.Ordinal) => "/" + p,
            _ => throw new ArgumentException($"'{bundlePath}' is not under bin/, images/, pki/, addons/, etc/ or var/", nameof(bundlePath)),
        };
    }

    /// <summary>The inverse of <see cref="NodePathOf"/> for files under /etc and /var: the path inside a node tree.</summary>
    public static string TreePathOf(string nodePath) => nodePath.TrimStart('/');
}
