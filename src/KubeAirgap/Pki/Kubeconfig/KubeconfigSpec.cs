using KubeAirgap.Cluster;
using KubeAirgap.Pki.Crypto;
using KubeAirgap.Pki.Table;

namespace KubeAirgap.Pki.Kubeconfig;

/// <summary>
/// One kubeconfig (kubeadm's kubeConfigSpec): file name, the client identity its embedded certificate carries,
/// and who gets it. The client certificate is a row of the certificate table signed by the cluster CA.
/// </summary>
public sealed record KubeconfigSpec
{
    /// <summary>Short name, e.g. "admin"; the client certificate's table name is "kubeconfig-" + Name.</summary>
    public required string Name { get; init; }

    /// <summary>Where it goes on a node (a NodeLayout constant).</summary>
    public required string NodePath { get; init; }

    public string ClientName { get; init; } = string.Empty;

    /// <summary>Per-node identity (the kubelet's system:node:&lt;name&gt;).</summary>
    public CommonNameFor? NodeClientName { get; init; }

    public IReadOnlyList<string> Organizations { get; init; } = [];

    public HoldersFor Holders { get; init; } = Table.Holders.Nobody;

    public bool PerNode => NodeClientName is not null;

    public string FileName => Name + ".conf";

    public string CertName => "kubeconfig-" + Name;

    public string ClientNameOf(NodeSpec? node) =>
        NodeClientName is not null ? NodeClientName(node ?? throw new ArgumentNullException(nameof(node), $"kubeconfig '{Name}' is per node")) : ClientName;

    /// <summary>The client certificate row: kept in state/ (the kubeconfig embeds it), issued to holders only.</summary>
    public CertSpec ClientCert() => new()
    {
        Name = CertName,
        LongName = $"client certificate embedded in {FileName}",
        BaseName = "kubeconfig/" + Name,
        CaName = CertTable.ClusterCa,
        CommonName = ClientName,
        NodeCommonName = NodeClientName,
        PerNode = PerNode,
        Organizations = Organizations,
        Usages = [ExtendedUsage.ClientAuth],
        Holders = PerNode ? Holders : Table.Holders.Nobody,
    };
}
