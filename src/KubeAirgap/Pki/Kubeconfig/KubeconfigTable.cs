using KubeAirgap.Layout;
using KubeAirgap.Pki.Table;

namespace KubeAirgap.Pki.Kubeconfig;

/// <summary>
/// The kubeconfigs of this topology (kubeadm's getKubeConfigSpecsBase). Every one points at the node-local
/// kube-nginx (<c>ClusterTopology.LocalApiServerUrl</c>) with embedded certificates.
/// </summary>
public static class KubeconfigTable
{
    public static IReadOnlyList<KubeconfigSpec> All() =>
    [
        Admin(),
        SuperAdmin(),
        ControllerManager(),
        Scheduler(),
        KubeProxy(),
        Kubelet(),
    ];

    /// <summary>Bound to cluster-admin by the ClusterRoleBinding kubeadm:cluster-admins (not system:masters: revocable).</summary>
    public static KubeconfigSpec Admin() => new()
    {
        Name = "admin",
        NodePath = NodeLayout.AdminKubeconfig,
        ClientName = PkiIdentities.AdminUser,
        Organizations = [PkiIdentities.ClusterAdminsGroup],
        Holders = Holders.ControlPlane,
    };

    /// <summary>
    /// Break-glass (system:masters, not revocable by RBAC). As with kubeadm init, only the first control-plane node
    /// gets it: admin.conf's group has no rights until that node creates the kubeadm:cluster-admins binding with it.
    /// A copy stays in state/.
    /// </summary>
    public static KubeconfigSpec SuperAdmin() => new()
    {
        Name = "super-admin",
        NodePath = NodeLayout.SuperAdminKubeconfig,
        Holders = Holders.FirstControlPlane,
        ClientName = PkiIdentities.SuperAdminUser,
        Organizations = [PkiIdentities.MastersGroup],
    };

    public static KubeconfigSpec ControllerManager() => new()
    {
        Name = "controller-manager",
        NodePath = NodeLayout.ControllerManagerKubeconfig,
        ClientName = PkiIdentities.ControllerManagerUser,
        Holders = Holders.ControlPlane,
    };

    public static KubeconfigSpec Scheduler() => new()
    {
        Name = "scheduler",
        NodePath = NodeLayout.SchedulerKubeconfig,
        ClientName = PkiIdentities.SchedulerUser,
        Holders = Holders.ControlPlane,
    };

    public static KubeconfigSpec KubeProxy() => new()
    {
        Name = "kube-proxy",
        NodePath = NodeLayout.KubeProxyKubeconfig,
        ClientName = PkiIdentities.KubeProxyUser,
        Holders = Holders.Worker,
    };

    /// <summary>Pre-issued per node (CN system:node:&lt;name&gt;, O system:nodes): no bootstrap token, no CSR approval.</summary>
    public static KubeconfigSpec Kubelet() => new()
    {
        Name = "kubelet",
        NodePath = NodeLayout.KubeletKubeconfig,
        NodeClientName = PkiIdentities.NodeUser,
        Organizations = [PkiIdentities.NodesGroup],
        Holders = Holders.Worker,
    };
}
