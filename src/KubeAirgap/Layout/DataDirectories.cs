using KubeAirgap.Cluster;
using KubeAirgap.Roles;

namespace KubeAirgap.Layout;

/// <summary>
/// The directories components keep their data in, one row each: the role whose nodes run the component and the mode
/// the component itself would create the directory with. Install creates the rows of the node's roles before it
/// starts anything (so they are recorded as install's and <c>uninstall --purge</c> deletes them; a directory that was
/// there before is kept as the host's), uninstall without <c>--purge</c> keeps them, with their data.
/// </summary>
public static class DataDirectories
{
    /// <param name="Mode">octal, as <c>mkdir -m</c> takes it.</param>
    public sealed record DataDirectory(string Path, string Mode, NodeRole Role, string Component);

    public static IReadOnlyList<DataDirectory> Of(NodeLayout layout) =>
    [
        new(layout.EtcdDataDir, "0700", NodeRole.Etcd, "etcd"),
        new(layout.EtcdWalDir, "0700", NodeRole.Etcd, "etcd"),

        // containerd: os.MkdirAll(config.Root, 0711) in server.New
        new(layout.ContainerdRoot, "0711", NodeRole.Worker, "containerd"),

        // kubelet: os.MkdirAll(kl.getRootDir(), 0750) in setupDataDirs (pkg/kubelet/kubelet.go)
        new(layout.KubeletRootDir, "0750", NodeRole.Worker, "kubelet"),
        new(layout.AuditLogDir, "0700", NodeRole.ControlPlane, "kube-apiserver"),
    ];

    /// <summary>Every data directory of the cluster's layout, whatever the node (what uninstall --purge may delete).</summary>
    public static IReadOnlyList<string> Paths(NodeLayout layout) => Of(layout).Select(d => d.Path).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The rows this node's roles use, once per path: <c>mode:path</c> for the installer.</summary>
    public static IReadOnlyList<string> ForNode(NodeLayout layout, NodeSpec node) =>
        Of(layout).Where(d => node.Has(d.Role)).DistinctBy(d => d.Path, StringComparer.Ordinal).Select(d => $"{d.Mode}:{d.Path}").ToList();
}
