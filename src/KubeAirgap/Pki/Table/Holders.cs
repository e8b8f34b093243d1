using KubeAirgap.Cluster;

namespace KubeAirgap.Pki.Table;

/// <summary>Which nodes carry a file: the distribution half of the tables.</summary>
public static class Holders
{
    public static bool Everyone(NodeSpec node, PkiSpec options) => true;

    public static bool Nobody(NodeSpec node, PkiSpec options) => false;

    public static bool ControlPlane(NodeSpec node, PkiSpec options) => node.Has(NodeRole.ControlPlane);

    public static bool Etcd(NodeSpec node, PkiSpec options) => node.Has(NodeRole.Etcd);

    public static bool ControlPlaneOrEtcd(NodeSpec node, PkiSpec options) => node.Has(NodeRole.ControlPlane) || node.Has(NodeRole.Etcd);

    /// <summary>The cluster CA key: control-plane nodes (kube-controller-manager's CSR signer) unless pki.caKeyOnNodes is false.</summary>
    public static bool ControlPlaneWhenCaKeyOnNodes(NodeSpec node, PkiSpec options) => options.CaKeyOnNodes && node.Has(NodeRole.ControlPlane);
}
