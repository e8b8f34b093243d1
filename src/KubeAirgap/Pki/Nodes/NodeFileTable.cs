using KubeAirgap.Cluster;
using KubeAirgap.Layout;
using KubeAirgap.Pki.Kubeconfig;
using KubeAirgap.Pki.Secrets;
using KubeAirgap.Pki.Table;

namespace KubeAirgap.Pki.Nodes;

/// <summary>
/// Which node gets which file, derived from the tables: a certificate goes to its row's holders (a leaf with its
/// key; a CA's key only to its KeyHolders, which is nobody for the etcd and front-proxy CAs), a kubeconfig to its
/// holders, and the service-account key pair and the encryption configuration to control-plane nodes.
/// </summary>
public static class NodeFileTable
{
    public static IReadOnlyList<NodeFileRow> Rows(PkiMaterial material)
    {
        var rows = new List<NodeFileRow>();
        foreach (var c in material.Certificates.Where(c => c.Spec.NodeCertPath is not null))
        {
            var certPem = c.CertPem;
            rows.Add(new NodeFileRow(c.Spec.NodeCertPath!, c.Spec.Holders, false, _ => certPem) { ForNode = c.Node?.Name });
            var keyHolders = c.Spec.IsCa ? c.Spec.KeyHolders : c.Spec.Holders;
            rows.Add(new NodeFileRow(c.Spec.NodeKeyPath!, keyHolders, true, _ => c.KeyPem) { ForNode = c.Node?.Name });
        }

        foreach (var k in KubeconfigTable.All())
        {
            rows.Add(new NodeFileRow(k.NodePath, k.Holders, true, node => Render(material, k, node)));
        }

        rows.Add(new NodeFileRow(NodeLayout.ServiceAccountKey, Holders.ControlPlane, true, _ => material.ServiceAccountKeyPem));
        rows.Add(new NodeFileRow(NodeLayout.ServiceAccountPub, Holders.ControlPlane, false, _ => material.ServiceAccountPubPem));
        rows.Add(new NodeFileRow(NodeLayout.EncryptionConfig, Holders.ControlPlane, true,
            _ => EncryptionConfig.Render(material.EncryptionKey)));
        return rows;
    }

    /// <summary>Every path the PKI may write into any node tree (to remove files a node no longer gets).</summary>
    public static IReadOnlySet<string> AllPaths(PkiMaterial material) => Rows(material).Select(r => r.NodePath).ToHashSet(StringComparer.Ordinal);

    /// <summary>The files of one node, sorted by bundle path.</summary>
    public static IReadOnlyList<NodeFile> For(PkiMaterial material, NodeSpec node) =>
        Rows(material)
            .Where(r => r.AppliesTo(node, material.Topology))
            .Select(r => new NodeFile(r.NodePath, System.Text.Encoding.UTF8.GetBytes(r.Content(node)), r.Secret))
            .OrderBy(f => f.BundlePath, StringComparer.Ordinal)
            .ToList();

    /// <summary>A kubeconfig for <paramref name="node"/> (the per-node kubelet one embeds that node's client certificate).</summary>
    public static string Render(PkiMaterial material, KubeconfigSpec spec, NodeSpec? node)
    {
        var client = material.Get(spec.CertName, spec.PerNode ? node : null);
        return KubeconfigWriter.Render(material.Topology.Spec.Name, material.Topology.LocalApiServerUrl, spec.ClientNameOf(node),
            material.ClusterCa.CertPem, client.CertPem, client.KeyPem);
    }
}
