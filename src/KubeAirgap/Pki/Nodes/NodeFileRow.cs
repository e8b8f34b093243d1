using KubeAirgap.Cluster;
using KubeAirgap.Pki.Table;

namespace KubeAirgap.Pki.Nodes;

/// <summary>A file of the distribution table: where it goes, who gets it, whether it is secret, and its content.</summary>
public sealed record NodeFileRow(string NodePath, HoldersFor Holders, bool Secret, Func<NodeSpec, string> Content)
{
    /// <summary>Per-node rows (etcd server, kubelet) apply only to the node they were issued for.</summary>
    public string? ForNode { get; init; }

    public bool AppliesTo(NodeSpec node, ClusterTopology topology) => (ForNode is null || ForNode == node.Name) && Holders(node, topology);
}
