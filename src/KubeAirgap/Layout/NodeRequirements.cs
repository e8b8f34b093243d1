using KubeAirgap.Cluster;
using KubeAirgap.Roles;

namespace KubeAirgap.Layout;

/// <summary>
/// The one table of what a node needs: its units (start order, health check, restart inputs), kernel modules,
/// sysctls, ports, host tools (with the Debian and RHEL packages that carry them) and the kernel its proxy mode
/// needs. The rendered modules-load and sysctl files (Render's HostModel) and the installer's lib/layout.env both
/// come from here, so they cannot drift.
/// <para>
/// Health: <c>kind:target</c> where kind is <c>socket</c> (a unix socket exists), <c>tcp</c> (a port accepts
/// connections), <c>http</c> (GET answers 200 over plain HTTP), <c>readyz</c> (GET of the URL through kubectl with
/// admin.conf: this node's own apiserver, not kube-nginx) or <c>etcd</c> (etcdctl endpoint health with the node's
/// etcd client certificate). <c>{nodeIp}</c>, <c>{apiserver}</c> (node IP and secure port), <c>{localProxyPort}</c> and
/// <c>{etcdMetrics}</c> (etcd's loopback metrics listener) are filled per node. Probes run every two seconds while a
/// unit starts, so they must be cheap: etcd's <c>/health</c> on the metrics listener (200 only with a leader and a
/// quorum read, etcdhttp's checkHealth) costs no process, where etcdctl cost a Go binary's start and a TLS handshake
/// per probe, a whole CPU on a slow machine while the member waited for its peers.
/// </para>
/// <para>
/// Restart inputs: bundle paths (a trailing <c>*</c> matches anything below) whose change must restart the unit:
/// its binary, unit file, configs, kubeconfig, certificates and keys. Nothing else restarts it.
/// </para>
/// </summary>
public static class NodeRequirements
{
    public sealed record Unit(string Name, NodeRole? Role, string Health, string Binary, IReadOnlyList<string> Inputs);

    /// <summary>A systemd timer the installer enables (its .timer and .service come from Render's file catalog).</summary>
    public sealed record Timer(string Name, NodeRole Role, string Why);

    /// <summary>A host command and the packages that provide it.</summary>
    public sealed record Tool(string Command, string Debian, string Rhel);

    /// <summary>A port other nodes must reach on this node (<c>tcp</c>, <c>udp</c>, or <c>ipip</c> = IP protocol 4).</summary>
    public sealed record InboundPort(string Protocol, int Number, string Why)
    {
        public override string ToString() => Protocol == "ipip" ? "ipip" : $"{Protocol}/{Number}";
    }

    /// <summary>Calico's encapsulation in the shipped manifest: BGP (179/tcp) with IP-in-IP (CALICO_IPV4POOL_IPIP=Always).</summary>
    public const string CalicoEncapsulation = "ipip";

    /// <summary>kube-proxy's nftables mode needs kernel 5.13 or later (KEP-3866).</summary>
    public const string NftablesMinKernel = "5.13";

    /// <summary>Start order: containerd, etcd, kube-nginx, the control plane, then kubelet and kube-proxy.</summary>
    public static readonly IReadOnlyList<Unit> Units =
    [
        new("containerd", NodeRole.Worker, "socket:" + NodeLayout.ContainerdSocket, "containerd",
            [.. Own("containerd"), BundlePath(NodeLayout.ContainerdConfig)]),
        new("etcd", NodeRole.Etcd, "http:{etcdMetrics}/health", "etcd",
            [.. Own("etcd"), .. BundlePaths(NodeLayout.EtcdCaCert, NodeLayout.EtcdServerCert, NodeLayout.EtcdServerKey, NodeLayout.EtcdPeerCert, NodeLayout.EtcdPeerKey)]),
        new("kube-nginx", null, "tcp:127.0.0.1:{localProxyPort}", "kube-nginx",
            [.. Own("kube-nginx"), BundlePath(NodeLayout.KubeNginxConfig)]),
        new("kube-apiserver", NodeRole.ControlPlane, "readyz:https://{apiserver}/readyz", "kube-apiserver",
            [.. Own("kube-apiserver"), .. BundlePaths(
                NodeLayout.CaCert, NodeLayout.ApiServerCert, NodeLayout.ApiServerKey, NodeLayout.ApiServerKubeletClientCert,
                NodeLayout.ApiServerKubeletClientKey, NodeLayout.ApiServerEtcdClientCert, NodeLayout.ApiServerEtcdClientKey,
                NodeLayout.FrontProxyCaCert, NodeLayout.FrontProxyClientCert, NodeLayout.FrontProxyClientKey, NodeLayout.EtcdCaCert,
                NodeLayout.ServiceAccountKey, NodeLayout.ServiceAccountPub, NodeLayout.EncryptionConfig,
                NodeLayout.AuditPolicy)]),
        new("kube-controller-manager", NodeRole.ControlPlane, "tcp:{nodeIp}:10257", "kube-controller-manager",
            [.. Own("kube-controller-manager"), .. BundlePaths(
                NodeLayout.ControllerManagerKubeconfig, NodeLayout.CaCert, NodeLayout.CaKey, NodeLayout.ServiceAccountKey,
                NodeLayout.FrontProxyCaCert)]),
        new("kube-scheduler", NodeRole.ControlPlane, "tcp:{nodeIp}:10259", "kube-scheduler",
            [.. Own("kube-scheduler"), .. BundlePaths(NodeLayout.SchedulerKubeconfig, NodeLayout.SchedulerConfig)]),
        new("kubelet", NodeRole.Worker, "http:127.0.0.1:10248/healthz", "kubelet",
            [.. Own("kubelet"), .. BundlePaths(NodeLayout.KubeletKubeconfig, NodeLayout.KubeletConfig, NodeLayout.CaCert,
                NodeLayout.KubeletServingCert, NodeLayout.KubeletServingKey), BundlePath(NodeLayout.KubeletCertDir) + "/*"]),
        new("kube-proxy", NodeRole.Worker, "http:{nodeIp}:10256/healthz", "kube-proxy",
            [.. Own("kube-proxy"), .. BundlePaths(NodeLayout.KubeProxyKubeconfig, NodeLayout.KubeProxyConfig)]),
    ];

    /// <summary>Timers started after the units: the etcd snapshots of every member (etcd.backup in cluster.yaml).</summary>
    public static readonly IReadOnlyList<Timer> Timers =
    [
        new("etcd-backup", NodeRole.Etcd, "etcd snapshots, checked and rotated (docs/day2.md)"),
    ];

    public static IEnumerable<Timer> TimersOf(NodeSpec node) => Timers.Where(t => node.Has(t.Role));

    /// <summary>Sysctls of every node with the worker role (the container runtime and kube-proxy need them).</summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string>> Sysctls =
    [
        new("net.bridge.bridge-nf-call-iptables", "1"),
        new("net.bridge.bridge-nf-call-ip6tables", "1"),
        new("net.ipv4.ip_forward", "1"),
        new("vm.swappiness", "0"),
        new("vm.overcommit_memory", "1"),
        new("vm.panic_on_oom", "0"),
        new("fs.inotify.max_user_instances", "8192"),
        new("fs.inotify.max_user_watches", "1048576"),
        new("fs.file-max", "52706963"),
        new("fs.nr_open", "52706963"),
        new("net.netfilter.nf_conntrack_max", "2310720"),
    ];

    private static readonly Tool[] ToolTable =
    [
        new("conntrack", "conntrack", "conntrack-tools"),
        new("socat", "socat", "socat"),
        new("mount", "mount", "util-linux"),
        new("ip", "iproute2", "iproute"),
        new("nft", "nftables", "nftables"),
        new("iptables", "iptables", "iptables-nft"),
        new("ip6tables", "iptables", "iptables-nft"),
        new("ipset", "ipset", "ipset"),
        new("ipvsadm", "ipvsadm", "ipvsadm"),
    ];

    public static Tool ToolOf(string command) => ToolTable.First(t => t.Command == command);

    /// <summary>Where the NetworkManager drop-in goes that keeps NetworkManager off Calico's interfaces (Calico's documented one).</summary>
    public const string NetworkManagerDropIn = "/etc/NetworkManager/conf.d/calico.conf";

    public const string NetworkManagerUnmanaged =
        "interface-name:cali*;interface-name:tunl*;interface-name:vxlan.calico;interface-name:vxlan-v6.calico;interface-name:wireguard.cali;interface-name:wg-v6.cali";

    /// <summary>The units a node runs, in start order.</summary>
    public static IEnumerable<Unit> UnitsOf(NodeSpec node) => Units.Where(u => u.Role is null || node.Has(u.Role.Value));

    /// <summary>Ports this node's services listen on (must be free before install).</summary>
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

    /// <summary>What other nodes must reach on this node through a host firewall (its roles and Calico's mode).</summary>
    public static IReadOnlyList<InboundPort> InboundPorts(ClusterSpec spec, NodeSpec node)
    {
        var ports = new List<InboundPort>();
        if (node.Has(NodeRole.Etcd))
        {
            ports.Add(new("tcp", ClusterTopology.EtcdClientPort, "etcd clients"));
            ports.Add(new("tcp", ClusterTopology.EtcdPeerPort, "etcd peers"));
        }

        if (node.Has(NodeRole.ControlPlane))
        {
            ports.Add(new("tcp", spec.ApiServer.SecurePort, "kube-apiserver"));
        }

        if (node.Has(NodeRole.Worker))
        {
            ports.Add(new("tcp", 10250, "kubelet API"));
            ports.AddRange(CalicoEncapsulation == "vxlan"
                ? [new InboundPort("udp", 4789, "Calico VXLAN")]
                : [new InboundPort("tcp", 179, "Calico BGP"), new InboundPort("ipip", 4, "Calico IP-in-IP")]);
        }

        return ports;
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

    public static IReadOnlyList<KeyValuePair<string, string>> SysctlsOf(NodeSpec node) => node.Has(NodeRole.Worker) ? Sysctls : [];

    /// <summary>Host tools the node's roles and kube-proxy's mode need.</summary>
    public static IReadOnlyList<Tool> Tools(ClusterSpec spec, NodeSpec node)
    {
        if (!node.Has(NodeRole.Worker))
        {
            return [];
        }

        List<string> commands = ["conntrack", "socat", "mount", "ip"];
        commands.AddRange(spec.Network.ProxyMode switch
        {
            "nftables" => ["nft"],
            "ipvs" => ["iptables", "ip6tables", "ipset", "ipvsadm"],
            _ => ["iptables", "ip6tables"],
        });
        return commands.Select(ToolOf).ToList();
    }

    /// <summary>The lowest kernel the node's proxy mode runs on (empty: no particular one).</summary>
    public static string MinKernel(ClusterSpec spec, NodeSpec node) =>
        node.Has(NodeRole.Worker) && spec.Network.ProxyMode == "nftables" ? NftablesMinKernel : string.Empty;

    /// <summary>The interface regexes of Calico's <c>interface=</c> autodetection (empty for other methods).</summary>
    public static string CalicoInterfaces(ClusterSpec spec) =>
        spec.Network.CalicoIpAutodetection.StartsWith("interface=", StringComparison.Ordinal)
            ? spec.Network.CalicoIpAutodetection["interface=".Length..]
            : string.Empty;

    /// <summary>The inverse of <see cref="NodeLayout.NodePathOf"/> for files under /etc and /var (pki/ for the PKI dir).</summary>
    public static string BundlePath(string nodePath) =>
        nodePath.StartsWith(NodeLayout.PkiDir + "/", StringComparison.Ordinal)
            ? "pki/" + nodePath[(NodeLayout.PkiDir.Length + 1)..]
            : NodeLayout.TreePathOf(nodePath);

    private static IEnumerable<string> BundlePaths(params string[] nodePaths) => nodePaths.Select(BundlePath);

    private static string[] Own(string name) => [$"bin/{name}", $"etc/systemd/system/{name}.service"];
}
