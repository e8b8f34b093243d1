using KubeAirgap.Cluster;

namespace KubeAirgap.Pki;

/// <summary>
/// User and group names the certificates carry, for the RBAC objects other parts render (kubeadm's constants):
/// admin.conf's group needs a ClusterRoleBinding to cluster-admin, the apiserver's kubelet-client user one to
/// system:kubelet-api-admin, and --requestheader-allowed-names is <see cref="FrontProxyClientName"/>.
/// </summary>
public static class PkiIdentities
{
    public const string AdminUser = "kubernetes-admin";
    public const string SuperAdminUser = "kubernetes-super-admin";
    public const string ClusterAdminsGroup = "kubeadm:cluster-admins";
    public const string MastersGroup = "system:masters";
    public const string ApiServerKubeletClientUser = "kube-apiserver-kubelet-client";
    public const string FrontProxyClientName = "front-proxy-client";
    public const string ControllerManagerUser = "system:kube-controller-manager";
    public const string SchedulerUser = "system:kube-scheduler";
    public const string KubeProxyUser = "system:kube-proxy";
    public const string NodesGroup = "system:nodes";
    public const string NodeUserPrefix = "system:node:";

    public static string NodeUser(NodeSpec node) => NodeUserPrefix + node.Name;
}
