using KubeAirgap.Cluster;
using KubeAirgap.Roles;

namespace KubeAirgap.Render;

/// <summary>
/// One file of a node's tree: which template renders it (or which version-table setting names the template), where it
/// goes in the bundle (<c>etc/...</c> mirrors /etc, <c>var/...</c> mirrors /var, <c>addons/...</c> goes to
/// /etc/kubernetes/addons), its mode, and the roles that need it (any of them; empty = every node).
/// </summary>
public sealed record FileSpec(string Output, string Mode, IReadOnlyList<NodeRole> Roles, string? Template = null, string? TemplateSetting = null)
{
    public int UnixMode => Convert.ToInt32(Mode, 8);

    public bool IsFor(NodeSpec node) => Roles.Count == 0 || Roles.Any(node.Has);
}

/// <summary>Which files each role gets (data, walked by <see cref="NodeRenderer"/>).</summary>
public static class FileCatalog
{
    private static readonly NodeRole[] Every = [];
    private static readonly NodeRole[] Etcd = [NodeRole.Etcd];
    private static readonly NodeRole[] ControlPlane = [NodeRole.ControlPlane];
    private static readonly NodeRole[] Worker = [NodeRole.Worker];

    /// <summary>Where the patched Calico manifest goes (only with the control-plane role; see <see cref="NodeRenderer"/>).</summary>
    public const string CalicoOutput = "addons/calico.yaml";

    /// <summary>
    /// containerd's registry host configuration for every registry without its own directory (config_path's
    /// <c>_default</c>): no host may pull or resolve, so a missing image fails at once instead of leaving the gap.
    /// </summary>
    public const string ContainerdDefaultHosts = "etc/containerd/certs.d/_default/hosts.toml";

    /// <summary>The user's own manifests (cluster.yaml addons.extra) go below this folder, which sorts after every core add-on file.</summary>
    public const string UserAddonsDir = "addons/user";

    public static readonly IReadOnlyList<FileSpec> Files =
    [
        // every node: the local L4 proxy in front of all apiservers
        new("etc/systemd/system/kube-nginx.service", "0644", Every, "systemd/kube-nginx.service.scriban"),
        new("etc/kube-nginx/kube-nginx.conf", "0644", Every, "kube-nginx/kube-nginx.conf.scriban"),

        new("etc/systemd/system/etcd.service", "0644", Etcd, "systemd/etcd.service.scriban"),
        new("etc/systemd/system/etcd-backup.service", "0644", Etcd, "systemd/etcd-backup.service.scriban"),
        new("etc/systemd/system/etcd-backup.timer", "0644", Etcd, "systemd/etcd-backup.timer.scriban"),
        new("etc/kube-airgap/etcd-backup.sh", "0755", Etcd, "etcd/etcd-backup.sh.scriban"),

        new("etc/systemd/system/kube-apiserver.service", "0644", ControlPlane, "systemd/kube-apiserver.service.scriban"),
        new("etc/systemd/system/kube-controller-manager.service", "0644", ControlPlane, "systemd/kube-controller-manager.service.scriban"),
        new("etc/systemd/system/kube-scheduler.service", "0644", ControlPlane, "systemd/kube-scheduler.service.scriban"),
        new("etc/kubernetes/audit-policy.yaml", "0644", ControlPlane, "kubernetes/audit-policy.yaml.scriban"),
        new("etc/kubernetes/kube-scheduler.yaml", "0644", ControlPlane, "kubernetes/kube-scheduler.yaml.scriban"),
        new("addons/kubelet-api-rbac.yaml", "0644", ControlPlane, "addons/kubelet-api-rbac.yaml.scriban"),
        new("addons/kubelet-certificate-rotation.yaml", "0644", ControlPlane, "addons/kubelet-certificate-rotation.yaml.scriban"),
        new("addons/coredns.yaml", "0644", ControlPlane, "addons/coredns.yaml.scriban"),

        new("etc/systemd/system/containerd.service", "0644", Worker, "systemd/containerd.service.scriban"),
        new("etc/systemd/system/kubelet.service", "0644", Worker, "systemd/kubelet.service.scriban"),
        new("etc/systemd/system/kube-proxy.service", "0644", Worker, "systemd/kube-proxy.service.scriban"),
        new("etc/containerd/config.toml", "0644", Worker, TemplateSetting: "containerd.configTemplate"),
        new("etc/crictl.yaml", "0644", Worker, "containerd/crictl.yaml.scriban"),
        new(ContainerdDefaultHosts, "0644", Worker, "containerd/hosts-default.toml.scriban"),
        new("var/lib/kubelet/config.yaml", "0644", Worker, "kubernetes/kubelet-config.yaml.scriban"),
        new("etc/kubernetes/kube-proxy.yaml", "0644", Worker, "kubernetes/kube-proxy.yaml.scriban"),
        new("etc/sysctl.d/99-kubernetes.conf", "0644", Worker, "host/sysctl.conf.scriban"),
        new("etc/modules-load.d/kubernetes.conf", "0644", Worker, "host/modules-load.conf.scriban"),
    ];
}
