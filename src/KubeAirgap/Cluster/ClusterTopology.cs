using System.Net;
using KubeAirgap.Net;
using KubeAirgap.Roles;

namespace KubeAirgap.Cluster;

/// <summary>Every value derived from the inventory, computed in one place.</summary>
public sealed class ClusterTopology
{
    public ClusterTopology(ClusterSpec spec)
    {
        Spec = spec;
        var serviceCidr = Cidr.Parse(spec.Network.ServiceCidr);
        KubernetesServiceIp = serviceCidr.Nth(1).ToString();
        ClusterDnsIp = spec.Network.DnsServiceIp ?? serviceCidr.Nth(2).ToString();
        EtcdNodes = spec.Nodes.Where(n => n.Has(NodeRole.Etcd)).ToList();
        ControlPlaneNodes = spec.Nodes.Where(n => n.Has(NodeRole.ControlPlane)).ToList();
        WorkerNodes = spec.Nodes.Where(n => n.Has(NodeRole.Worker)).ToList();
        EtcdInitialCluster = string.Join(",", EtcdNodes.Select(n => $"{n.Name}=https://{HostPort(n.Ip, EtcdPeerPort)}"));
        EtcdEndpoints = EtcdNodes.Select(n => $"https://{HostPort(n.Ip, EtcdClientPort)}").ToList();
        ApiServerUpstreams = ControlPlaneNodes.Select(n => HostPort(n.Ip, spec.ApiServer.SecurePort)).ToList();
        LocalApiServerUrl = $"https://127.0.0.1:{spec.ApiServer.LocalProxyPort}";
        Arches = spec.Nodes.Select(n => n.Arch).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    public const int EtcdClientPort = 2379;
    public const int EtcdPeerPort = 2380;

    /// <summary>Where node-local listeners bind (etcd's loopback client and metrics URLs, kube-nginx).</summary>
    public const string LoopbackAddress = "127.0.0.1";

    /// <summary>etcd's --listen-metrics-urls port on loopback: /metrics and /health over plain HTTP.</summary>
    public const int EtcdMetricsPort = 2381;

    public ClusterSpec Spec { get; }

    /// <summary>The first address of the service CIDR (the guide's CLUSTER_KUBERNETES_SVC_IP).</summary>
    public string KubernetesServiceIp { get; }

    /// <summary>The cluster DNS service address (the guide's CLUSTER_DNS_SVC_IP).</summary>
    public string ClusterDnsIp { get; }

    public IReadOnlyList<NodeSpec> EtcdNodes { get; }

    public IReadOnlyList<NodeSpec> ControlPlaneNodes { get; }

    public IReadOnlyList<NodeSpec> WorkerNodes { get; }

    /// <summary>etcd's --initial-cluster: <c>k8s-01=https://192.168.93.45:2380,...</c> (the guide's ETCD_NODES).</summary>
    public string EtcdInitialCluster { get; }

    /// <summary>etcd client URLs (the guide's ETCD_ENDPOINTS).</summary>
    public IReadOnlyList<string> EtcdEndpoints { get; }

    /// <summary>Every apiserver as host:port, the upstreams of kube-nginx.</summary>
    public IReadOnlyList<string> ApiServerUpstreams { get; }

    /// <summary>https://127.0.0.1:8443, the node-local kube-nginx (the guide's KUBE_APISERVER).</summary>
    public string LocalApiServerUrl { get; }

    public IReadOnlyList<string> Arches { get; }

    /// <summary>The node that applies add-ons once: the first control-plane node.</summary>
    public NodeSpec? FirstControlPlane => ControlPlaneNodes.Count > 0 ? ControlPlaneNodes[0] : null;

    public NodeSpec Node(string name) =>
        Spec.Nodes.FirstOrDefault(n => n.Name == name) ?? throw new KeyNotFoundException($"no node named '{name}' in cluster '{Spec.Name}'");

    public static string HostPort(string ip, int port) =>
        IPAddress.TryParse(ip, out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"[{ip}]:{port}"
            : $"{ip}:{port}";
}
