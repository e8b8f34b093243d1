using KubeAirgap.Cluster;

namespace KubeAirgap.Bundle;

/// <summary>
/// What a node needs from its host and in what order its services start (data; the installer reads it from
/// lib/layout.env). Health: <c>kind:target</c> where kind is <c>socket</c> (a unix socket exists), <c>tcp</c>
/// (a port accepts connections), <c>http</c> (GET answers 200 over plain HTTP), <c>kubectl</c> (GET through
/// kubectl with admin.conf) or <c>etcd</c> (etcdctl endpoint health with the node's etcd client certificate).
/// </summary>
public static class NodeRequirements
{
    public sealed record Unit(string Name, NodeRole? Role, string Health, string Binary);

    /// <summary>Start order: containerd, etcd, kube-nginx, the control plane, then kubelet and kube-proxy.</summary>
    public static readonly IReadOnlyList<Unit> Units =
    [
        new("containerd", NodeRole.Worker, "socket:" + Layout.NodeLayout.ContainerdSocket, "containerd"),
        new("etcd", NodeRole.Etcd, "etcd:2379", "etcd"),
        new("kube-nginx", null, "tcp:127.0.0.1:{localProxyPort}", "kube-nginx"),
        new("kube-apiserver", NodeRole.ControlPlane, "kubectl:/readyz", "kube-apiserver"),
        new("kube-controller-manager", NodeRole.ControlPlane, "tcp:{nodeIp}:10257", "kube-controller-manager"),
        new("kube-scheduler", NodeRole.ControlPlane, "tcp:{nodeIp}:10259", "kube-scheduler"),
        new("kubelet", NodeRole.Worker, "http:127.0.0.1:10248/healthz", "kubelet"),
        new("kube-proxy", NodeRole.Worker, "http:{nodeIp}:10256/healthz", "kube-proxy"),
    ];

    public static IReadOnlyList<int> Ports(ClusterSpec spec, NodeSpec node)
    {
        var ports = new SortedSet<int> { spec.ApiServer.LocalProxyPort };
        if (node.Has(NodeRole.Etcd))
        {
            ports.UnionWith([ClusterTopology.EtcdClientPort, ClusterTopology.EtcdPeerPort]);
        }

        if (node.Has(NodeRole.ControlPlane))
        {
            ports.UnionWith([spec.ApiServer.SecurePort, 10257, 10259]);
        }

        if (node.Has(NodeRole.Worker))
        {
            ports.UnionWith([10248, 10249, 10250, 10256]);
        }

        return ports.ToList();
    }

    public static IReadOnlyList<string> Modules(ClusterSpec spec, NodeSpec node)
    {
        if (!node.Has(NodeRole.Worker))
        {
            return [];
        }

        // nf_conntrack in every mode: the rendered sysctl file sets net.netfilter.nf_conntrack_max, which exists only
        // once the module is loaded (found by the VM end-to-end test)
        List<string> modules = ["overlay", "br_netfilter", "nf_conntrack"];
        if (spec.Network.ProxyMode == "ipvs")
        {
            modules.AddRange(["ip_vs", "ip_vs_rr", "ip_vs_wrr", "ip_vs_sh"]);
        }

        return modules;
    }

    /// <summary>Host tools; <c>a|b</c> means either will do.</summary>
    public static IReadOnlyList<string> Tools(ClusterSpec spec, NodeSpec node)
    {
        if (!node.Has(NodeRole.Worker))
        {
            return [];
        }

        List<string> tools = ["conntrack", "socat", "iptables|nft", "mount", "ip"];
        if (spec.Network.ProxyMode == "ipvs")
        {
            tools.AddRange(["ipset", "ipvsadm"]);
        }

        return tools;
    }
}
