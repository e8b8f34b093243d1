using KubeAirgap.Cluster;

namespace KubeAirgap.Pki.Table;

/// <summary>The named SAN mutators of the certificate table (kubeadm's GetAPIServerAltNames, GetEtcdAltNames...).</summary>
public static class AltNames
{
    public static IEnumerable<string> None(ClusterTopology topology, NodeSpec? node) => [];

    /// <summary>
    /// Every name the apiserver is reached by: 127.0.0.1 (kube-nginx on each node), every control-plane node's IP and
    /// name, the kubernetes service IP and names, and cluster.yaml's apiserver.extraSans.
    /// </summary>
    public static IEnumerable<string> ApiServer(ClusterTopology topology, NodeSpec? node)
    {
        var domain = topology.Spec.ClusterDomain;
        return
        [
            "kubernetes",
            "kubernetes.default",
            "kubernetes.default.svc",
            $"kubernetes.default.svc.{domain}",
            "localhost",
            .. topology.ControlPlaneNodes.Select(n => n.Name),
            "127.0.0.1",
            topology.KubernetesServiceIp,
            .. topology.ControlPlaneNodes.Select(n => n.Ip),
            .. topology.Spec.ApiServer.ExtraSans,
        ];
    }

    /// <summary>etcd server and peer: the node's name and IP, and loopback.</summary>
    public static IEnumerable<string> EtcdMember(ClusterTopology topology, NodeSpec? node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return ["localhost", node.Name, "127.0.0.1", node.Ip];
    }

    /// <summary>kubelet serving certificate: the node's name and IP.</summary>
    public static IEnumerable<string> Kubelet(ClusterTopology topology, NodeSpec? node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return [node.Name, node.Ip];
    }
}
