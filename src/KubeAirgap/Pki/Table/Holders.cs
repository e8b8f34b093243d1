using KubeAirgap.Cluster;
using KubeAirgap.Roles;

namespace KubeAirgap.Pki.Table;

/// <summary>Which nodes carry a file: the distribution half of the tables.</summary>
public static class Holders
{
    public static bool Everyone(NodeSpec node, ClusterTopology topology) => true;

    public static bool Nobody(NodeSpec node, ClusterTopology topology) => false;

    public static bool ControlPlane(NodeSpec node, ClusterTopology topology) => node.Has(NodeRole.ControlPlane);

    public static bool Etcd(NodeSpec node, ClusterTopology topology) => node.Has(NodeRole.Etcd);

    /// <summary>Nodes that run kubelet and kube-proxy.</summary>
    public static bool Worker(NodeSpec node, ClusterTopology topology) => node.Has(NodeRole.Worker);

    public static bool ControlPlaneOrEtcd(NodeSpec node, ClusterTopology topology) => node.Has(NodeRole.ControlPlane) || node.Has(NodeRole.Etcd);

    /// <summary>The node that applies add-ons once (and, like kubeadm init's node, bootstraps RBAC with super-admin.conf).</summary>
    public static bool FirstControlPlane(NodeSpec node, ClusterTopology topology) => topology.FirstControlPlane?.Name == node.Name;

    /// <summary>The cluster CA key: control-plane nodes (kube-controller-manager's CSR signer) unless pki.caKeyOnNodes is false.</summary>
    public static bool ControlPlaneWhenCaKeyOnNodes(NodeSpec node, ClusterTopology topology) =>
        topology.Spec.Pki.CaKeyOnNodes && node.Has(NodeRole.ControlPlane);
}
