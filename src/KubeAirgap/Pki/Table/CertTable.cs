using KubeAirgap.Layout;
using KubeAirgap.Pki.Crypto;

namespace KubeAirgap.Pki.Table;

/// <summary>
/// The certificates of this topology, as data (kubeadm's certlist.go): three CAs, the control plane's leaves, and the
/// per-node etcd and kubelet certificates. Kubeconfig client certificates come from <see cref="Kubeconfig.KubeconfigTable"/>.
/// Each factory returns a fresh record.
/// </summary>
public static class CertTable
{
    public const string ClusterCa = "ca";
    public const string EtcdCa = "etcd-ca";
    public const string FrontProxyCa = "front-proxy-ca";

    /// <summary>Every row, CAs first.</summary>
    public static IReadOnlyList<CertSpec> All() =>
    [
        RootCa(),
        FrontProxyRootCa(),
        EtcdRootCa(),
        ApiServer(),
        ApiServerKubeletClient(),
        FrontProxyClient(),
        ApiServerEtcdClient(),
        EtcdServer(),
        EtcdPeer(),
        EtcdHealthcheckClient(),
        KubeletServing(),
    ];

    public static CertSpec RootCa() => new()
    {
        Name = ClusterCa,
        LongName = "self-signed Kubernetes CA (client CA of every component, CSR signer)",
        BaseName = "ca",
        CommonName = "kubernetes",
        NodeCertPath = NodeLayout.CaCert,
        NodeKeyPath = NodeLayout.CaKey,
        Holders = Table.Holders.Everyone,
        KeyHolders = Table.Holders.ControlPlaneWhenCaKeyOnNodes,
    };

    public static CertSpec FrontProxyRootCa() => new()
    {
        Name = FrontProxyCa,
        LongName = "self-signed CA for the aggregation layer (requestheader client CA)",
        BaseName = "front-proxy-ca",
        CommonName = "front-proxy-ca",
        NodeCertPath = NodeLayout.FrontProxyCaCert,
        NodeKeyPath = NodeLayout.FrontProxyCaKey,
        Holders = Table.Holders.ControlPlane,
    };

    public static CertSpec EtcdRootCa() => new()
    {
        Name = EtcdCa,
        LongName = "self-signed CA for etcd (only etcd's members and clients trust it)",
        BaseName = "etcd/ca",
        CommonName = "etcd-ca",
        NodeCertPath = NodeLayout.EtcdCaCert,
        NodeKeyPath = NodeLayout.EtcdCaKey,
        Holders = Table.Holders.ControlPlaneOrEtcd,
    };

    public static CertSpec ApiServer() => new()
    {
        Name = "apiserver",
        LongName = "certificate for serving the Kubernetes API",
        BaseName = "apiserver",
        CaName = ClusterCa,
        CommonName = "kube-apiserver",
        Usages = [ExtendedUsage.ServerAuth],
        AltNames = Table.AltNames.ApiServer,
        NodeCertPath = NodeLayout.ApiServerCert,
        NodeKeyPath = NodeLayout.ApiServerKey,
        Holders = Table.Holders.ControlPlane,
    };

    public static CertSpec ApiServerKubeletClient() => new()
    {
        Name = "apiserver-kubelet-client",
        LongName = "certificate for the API server to connect to kubelet",
        BaseName = "apiserver-kubelet-client",
        CaName = ClusterCa,
        CommonName = PkiIdentities.ApiServerKubeletClientUser,
        Organizations = [PkiIdentities.ClusterAdminsGroup],
        Usages = [ExtendedUsage.ClientAuth],
        NodeCertPath = NodeLayout.ApiServerKubeletClientCert,
        NodeKeyPath = NodeLayout.ApiServerKubeletClientKey,
        Holders = Table.Holders.ControlPlane,
    };

    public static CertSpec FrontProxyClient() => new()
    {
        Name = "front-proxy-client",
        LongName = "certificate for the front proxy client (aggregated API servers)",
        BaseName = "front-proxy-client",
        CaName = FrontProxyCa,
        CommonName = PkiIdentities.FrontProxyClientName,
        Usages = [ExtendedUsage.ClientAuth],
        NodeCertPath = NodeLayout.FrontProxyClientCert,
        NodeKeyPath = NodeLayout.FrontProxyClientKey,
        Holders = Table.Holders.ControlPlane,
    };

    public static CertSpec ApiServerEtcdClient() => new()
    {
        Name = "apiserver-etcd-client",
        LongName = "certificate the apiserver uses to access etcd",
        BaseName = "apiserver-etcd-client",
        CaName = EtcdCa,
        CommonName = "kube-apiserver-etcd-client",
        Usages = [ExtendedUsage.ClientAuth],
        NodeCertPath = NodeLayout.ApiServerEtcdClientCert,
        NodeKeyPath = NodeLayout.ApiServerEtcdClientKey,
        Holders = Table.Holders.ControlPlane,
    };

    /// <summary>etcd 3.2+ also presents the server certificate as a client (kubeadm: "undocumented requirement").</summary>
    public static CertSpec EtcdServer() => new()
    {
        Name = "etcd-server",
        LongName = "certificate for serving etcd",
        BaseName = "etcd/server",
        CaName = EtcdCa,
        PerNode = true,
        NodeCommonName = n => n.Name,
        Usages = [ExtendedUsage.ServerAuth, ExtendedUsage.ClientAuth],
        AltNames = Table.AltNames.EtcdMember,
        NodeCertPath = NodeLayout.EtcdServerCert,
        NodeKeyPath = NodeLayout.EtcdServerKey,
        Holders = Table.Holders.Etcd,
    };

    public static CertSpec EtcdPeer() => new()
    {
        Name = "etcd-peer",
        LongName = "certificate for etcd nodes to communicate with each other",
        BaseName = "etcd/peer",
        CaName = EtcdCa,
        PerNode = true,
        NodeCommonName = n => n.Name,
        Usages = [ExtendedUsage.ServerAuth, ExtendedUsage.ClientAuth],
        AltNames = Table.AltNames.EtcdMember,
        NodeCertPath = NodeLayout.EtcdPeerCert,
        NodeKeyPath = NodeLayout.EtcdPeerKey,
        Holders = Table.Holders.Etcd,
    };

    public static CertSpec EtcdHealthcheckClient() => new()
    {
        Name = "etcd-healthcheck-client",
        LongName = "certificate for etcdctl (health checks, backups)",
        BaseName = "etcd/healthcheck-client",
        CaName = EtcdCa,
        CommonName = "kube-etcd-healthcheck-client",
        Usages = [ExtendedUsage.ClientAuth],
        NodeCertPath = NodeLayout.EtcdHealthcheckClientCert,
        NodeKeyPath = NodeLayout.EtcdHealthcheckClientKey,
        Holders = Table.Holders.Etcd,
    };

    /// <summary>Pre-issued so that nodes need no serving-CSR approval (kube-controller-manager does not approve those).</summary>
    public static CertSpec KubeletServing() => new()
    {
        Name = "kubelet-serving",
        LongName = "certificate for serving the kubelet API on :10250",
        BaseName = "kubelet",
        CaName = ClusterCa,
        PerNode = true,
        NodeCommonName = PkiIdentities.NodeUser,
        Organizations = [PkiIdentities.NodesGroup],
        Usages = [ExtendedUsage.ServerAuth],
        AltNames = Table.AltNames.Kubelet,
        NodeCertPath = NodeLayout.KubeletServingCert,
        NodeKeyPath = NodeLayout.KubeletServingKey,
        Holders = Table.Holders.Worker,
    };
}
