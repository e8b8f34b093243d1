using System.Globalization;
using System.Text;
using KubeAirgap.Bundle.Tar;
using KubeAirgap.Cluster;
using KubeAirgap.Layout;
using KubeAirgap.Render.Versions;
using KubeAirgap.Roles;

namespace KubeAirgap.Bundle.Manifests;

/// <summary>
/// lib/layout.env: the node's paths (from <see cref="NodeLayout"/>) and facts (roles, ports, modules, units)
/// as shell assignments the installer sources, so no path is written twice. lib/files.tsv: every bundled file
/// with mode, sha256, whether it is secret, and the path it is installed to (from <see cref="NodeLayout.NodePathOf"/>).
/// </summary>
public static class LayoutEnv
{
    public sealed record NodeFacts(
        ClusterSpec Spec,
        NodeSpec Node,
        string VersionDir,
        string KubeNginxGlibc,
        long MinDiskMb,
        IReadOnlyList<string> Units,
        Day2.Membership? Members = null,
        PayloadArchive? Payload = null,
        TestBundleStamp? TestBundle = null);

    public static byte[] Render(NodeFacts facts)
    {
        var spec = facts.Spec;
        var node = facts.Node;
        var layout = new NodeLayout(spec);
        var topology = new ClusterTopology(spec);
        var first = topology.FirstControlPlane?.Name ?? string.Empty;
        var values = new List<(string Key, string Value)>
        {
            ("KA_CLUSTER", spec.Name),
            ("KA_NODE", node.Name),
            ("KA_NODE_IP", node.Ip),
            ("KA_ARCH", node.Arch),
            ("KA_ROLES", string.Join(' ', node.Roles.Order().Select(r => r.Name()))),
            // facts about other nodes only where this node uses them: a node's bundle changes only when they do (Day2/NodeChanges)
            ("KA_FIRST_CONTROL_PLANE", node.Has(NodeRole.ControlPlane) ? first : string.Empty),
            ("KA_KUBERNETES_VERSION", spec.KubernetesVersion),
            ("KA_VERSION_DIR", facts.VersionDir),
            ("KA_PREFIX", spec.Paths.Prefix),
            ("KA_BIN_DIR", layout.BinDir),
            ("KA_VERSIONED_BIN_DIR", $"{spec.Paths.Prefix}/{facts.VersionDir}/bin"),
            ("KA_CNI_BIN_DIR", NodeLayout.CniBinDir),
            ("KA_IMAGES_ARCHIVE", NodeLayout.ImagesArchive),
            ("KA_PKI_DIR", NodeLayout.PkiDir),
            ("KA_ADDONS_DIR", NodeLayout.AddonsDir),
            ("KA_SYSTEMD_DIR", NodeLayout.SystemdDir),
            ("KA_STATE_DIR", NodeLayout.StateDir),
            ("KA_KEPT_DATA_LIST", NodeLayout.KeptDataList),
            ("KA_BACKUP_DIR", NodeLayout.BackupDir),
            ("KA_INSTALL_LOG", NodeLayout.InstallLog),
            ("KA_SYSCTL_FILE", NodeLayout.SysctlFile),
            ("KA_MODULES_LOAD_FILE", NodeLayout.ModulesLoadFile),
            ("KA_ADMIN_KUBECONFIG", NodeLayout.AdminKubeconfig),
            ("KA_SUPER_ADMIN_KUBECONFIG", NodeLayout.SuperAdminKubeconfig),
            ("KA_CONTAINERD_SOCKET", NodeLayout.ContainerdSocket),
            ("KA_KUBELET_DIR", layout.KubeletRootDir),
            ("KA_CONTAINERD_ROOT", layout.ContainerdRoot),
            ("KA_CONTAINERD_STATE", NodeLayout.ContainerdState),
            ("KA_RUNC_ROOT", NodeLayout.RuncRoot),
            ("KA_CNI_CONF_DIR", NodeLayout.CniConfDir),
            ("KA_ETCD_DATA_DIR", layout.EtcdDataDir),
            ("KA_ETCD_WAL_DIR", layout.EtcdWalDir),
            ("KA_DATA_DIRS", string.Join(' ', DataDirectories.Paths(layout))),
            ("KA_NODE_DATA_DIRS", string.Join(' ', DataDirectories.ForNode(layout, node))),
            ("KA_ETCD_CACERT", NodeLayout.EtcdPki("ca.crt")),
            ("KA_ETCD_CERT", NodeLayout.EtcdPki("healthcheck-client.crt")),
            ("KA_ETCD_KEY", NodeLayout.EtcdPki("healthcheck-client.key")),
            ("KA_PROXY_MODE", spec.Network.ProxyMode),
            ("KA_PORTS", string.Join(' ', NodeRequirements.Ports(spec, node).Select(p => p.ToString(CultureInfo.InvariantCulture)))),
            ("KA_INBOUND_PORTS", string.Join(' ', NodeRequirements.InboundPorts(spec, node))),
            ("KA_MODULES", string.Join(' ', NodeRequirements.Modules(spec, node))),
            ("KA_TOOLS", string.Join(' ', NodeRequirements.Tools(spec, node).Select(t => t.Command))),
            ("KA_MIN_KERNEL", NodeRequirements.MinKernel(spec, node)),
            ("KA_CALICO_INTERFACES", node.Has(NodeRole.Worker) ? NodeRequirements.CalicoInterfaces(spec) : string.Empty),
            ("KA_NM_CALICO_CONF", NodeRequirements.NetworkManagerDropIn),
            ("KA_NM_UNMANAGED", node.Has(NodeRole.Worker) ? NodeRequirements.NetworkManagerUnmanaged : string.Empty),
            ("KA_KUBELET_RESOLV_CONF", NodeLayout.KubeletResolvConf),
            ("KA_APISERVER_ADDRESS", ClusterTopology.HostPort(node.Ip, spec.ApiServer.SecurePort)),
            ("KA_APISERVERS", string.Join(' ', topology.ControlPlaneNodes.Select(n => $"{n.Name}={ClusterTopology.HostPort(n.Ip, spec.ApiServer.SecurePort)}"))),
            ("KA_KUBELET_KUBECONFIG", NodeLayout.KubeletKubeconfig),
            ("KA_ETCD_PEERS", node.Has(NodeRole.Etcd) ? string.Join(' ', topology.EtcdNodes.Where(n => n.Name != node.Name).Select(n => $"{n.Name}={ClusterTopology.HostPort(n.Ip, ClusterTopology.EtcdPeerPort)}")) : string.Empty),
            ("KA_ETCD_CLIENTS", node.Has(NodeRole.Etcd) || node.Has(NodeRole.ControlPlane) ? string.Join(' ', topology.EtcdNodes.Select(n => $"{n.Name}={ClusterTopology.HostPort(n.Ip, ClusterTopology.EtcdClientPort)}")) : string.Empty),
            ("KA_KUBE_NGINX_GLIBC", facts.KubeNginxGlibc),
            ("KA_MIN_DISK_MB", facts.MinDiskMb.ToString(CultureInfo.InvariantCulture)),
            ("KA_UNITS", string.Join(' ', facts.Units)),
            ("KA_TIMERS", string.Join(' ', NodeRequirements.TimersOf(node).Select(t => t.Name))),
        };
        values.AddRange(Day2Values(facts, topology));
        values.AddRange(PayloadValues(facts.Payload));
        values.AddRange(TestBundleValues(facts.TestBundle));

        var text = new StringBuilder();
        text.Append("# Generated by kube-airgap from src/KubeAirgap/Layout/NodeLayout.cs and Layout/NodeRequirements.cs.\n");
        text.Append("# shellcheck shell=bash disable=SC2034\n");
        foreach (var (key, value) in values)
        {
            text.Append(key).Append('=').Append(Quote(value)).Append('\n');
        }

        var units = facts.Units.Select(u => NodeRequirements.Units.First(x => x.Name == u)).ToList();
        AppendArray(text, "KA_HEALTH", units.Select(u => $"{u.Name}={Fill(u.Health, spec, node)}"));
        AppendArray(text, "KA_UNIT_INPUTS", units.Select(u => $"{u.Name}={string.Join(' ', u.Inputs)}"));
        AppendArray(text, "KA_TOOL_PACKAGES", NodeRequirements.Tools(spec, node).Select(t => $"{t.Command}={t.Debian} {t.Rhel}"));
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>
    /// Adding and removing nodes (lib/members.sh): <c>KA_ETCD_JOIN</c>, the client URLs of the other etcd members, only
    /// on a member that joins a running cluster (it runs <c>etcdctl member add</c> before its first start);
    /// <c>KA_REMOVED_NODES</c> and <c>KA_REMOVED_ETCD_MEMBERS</c> (<c>name=peer-url</c>), only on the first
    /// control-plane node, which drains and deletes those Nodes and removes those members; the etcd client
    /// certificate the node has for that (the healthcheck client on etcd members, else the apiserver's).
    /// </summary>
    private static IEnumerable<(string Key, string Value)> Day2Values(NodeFacts facts, ClusterTopology topology)
    {
        var node = facts.Node;
        var members = facts.Members ?? Day2.Membership.Empty;
        var first = topology.FirstControlPlane?.Name == node.Name;
        var join = members.Joins(node.Name)
            ? topology.EtcdNodes.Where(n => n.Name != node.Name).Select(n => $"https://{ClusterTopology.HostPort(n.Ip, ClusterTopology.EtcdClientPort)}")
            : [];
        var etcdMember = node.Has(NodeRole.Etcd);
        return
        [
            ("KA_ETCD_JOIN", string.Join(',', join)),
            ("KA_REMOVED_NODES", first ? string.Join(' ', members.Removed.Select(r => r.Name)) : string.Empty),
            ("KA_REMOVED_ETCD_MEMBERS", first ? string.Join(' ', members.Removed.Where(r => r.IsEtcd).Select(r => $"{r.Name}={r.PeerUrl}")) : string.Empty),
            ("KA_ETCD_ADMIN_CERT", etcdMember ? NodeLayout.EtcdPki("healthcheck-client.crt") : NodeLayout.ApiServerEtcdClientCert),
            ("KA_ETCD_ADMIN_KEY", etcdMember ? NodeLayout.EtcdPki("healthcheck-client.key") : NodeLayout.ApiServerEtcdClientKey),
        ];
    }

    /// <summary>
    /// The fleet layout's pin of the payload tarball (lib/payload.sh checks it before extracting anything from it):
    /// file name, the directory it extracts to, size and sha256. Empty in the self-contained layout, whose tarball
    /// carries the payload.
    /// </summary>
    private static IEnumerable<(string Key, string Value)> PayloadValues(PayloadArchive? payload) =>
    [
        ("KA_PAYLOAD_TARBALL", payload?.Bundle ?? string.Empty),
        ("KA_PAYLOAD_DIR", payload?.Top ?? string.Empty),
        ("KA_PAYLOAD_SIZE", payload?.Size.ToString(CultureInfo.InvariantCulture) ?? string.Empty),
        ("KA_PAYLOAD_SHA256", payload?.Sha256 ?? string.Empty),
    ];

    /// <summary>
    /// A test bundle (built with the test-only RelaxSupportedVersions): <c>KA_TEST_BUNDLE=1</c> and why, in the signed
    /// layout.env, so that install.sh refuses it without <c>--test-bundle</c>. Both empty on every other bundle.
    /// </summary>
    private static IEnumerable<(string Key, string Value)> TestBundleValues(TestBundleStamp? stamp) =>
    [
        ("KA_TEST_BUNDLE", stamp is null ? string.Empty : "1"),
        ("KA_TEST_BUNDLE_REASON", stamp?.Reason ?? string.Empty),
    ];

    /// <summary>Lines <c>mode sha256 secret bundlePath nodePath</c> (tab-separated), sorted by bundle path.</summary>
    public static byte[] FilesTable(ClusterSpec spec, string versionDir, IEnumerable<BundleEntry> installable)
    {
        var layout = new NodeLayout(spec);
        var text = new StringBuilder();
        foreach (var e in installable.OrderBy(e => e.Path, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"{e.ModeText}\t{e.Sha256}\t{(e.Secret ? 1 : 0)}\t{e.Path}\t{NodePath(layout, spec, versionDir, e.Path)}\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Where a bundle file goes: binaries to the versioned directory that <c>current</c> will point at.</summary>
    public static string NodePath(NodeLayout layout, ClusterSpec spec, string versionDir, string bundlePath)
    {
        var path = layout.NodePathOf(bundlePath);
        var current = layout.BinDir + "/";
        return path.StartsWith(current, StringComparison.Ordinal)
            ? $"{spec.Paths.Prefix}/{versionDir}/bin/{path[current.Length..]}"
            : path;
    }

    private static string Fill(string health, ClusterSpec spec, NodeSpec node) => health
        .Replace("{localProxyPort}", spec.ApiServer.LocalProxyPort.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{apiserver}", ClusterTopology.HostPort(node.Ip, spec.ApiServer.SecurePort), StringComparison.Ordinal)
        .Replace("{nodeIp}", node.Ip, StringComparison.Ordinal)
        .Replace("{etcdMetrics}", ClusterTopology.HostPort(ClusterTopology.LoopbackAddress, ClusterTopology.EtcdMetricsPort), StringComparison.Ordinal);

    private static void AppendArray(StringBuilder text, string name, IEnumerable<string> items)
    {
        text.Append(name).Append("=(");
        text.AppendJoin(' ', items.Select(Quote));
        text.Append(")\n");
    }

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
