using KubeAirgap.Cluster;
using KubeAirgap.Roles;

namespace KubeAirgap.Deploy;

/// <summary>
/// The inventory's groups, one per node role, in the order the playbook installs them: etcd members together,
/// then the control plane one node at a time, then the workers in batches. A node with several roles is in each
/// of their groups.
/// </summary>
public static class AnsibleGroups
{
    public sealed record Group(string Name, NodeRole Role, string Purpose);

    public static readonly IReadOnlyList<Group> All =
    [
        new("etcd", NodeRole.Etcd, "etcd members: installed together, quorum needs them together"),
        new("control_plane", NodeRole.ControlPlane, "control-plane nodes: installed one at a time, each healthy before the next"),
        new("workers", NodeRole.Worker, "workers: installed in batches (kube_airgap_worker_serial)"),
    ];
}
