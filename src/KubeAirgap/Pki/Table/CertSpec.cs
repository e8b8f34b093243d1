using KubeAirgap.Cluster;
using KubeAirgap.Pki.Crypto;

namespace KubeAirgap.Pki.Table;

/// <summary>The SANs of a certificate, from the inventory (and the node, for per-node certificates).</summary>
public delegate IEnumerable<string> AltNamesFor(ClusterTopology topology, NodeSpec? node);

/// <summary>The common name of a per-node certificate.</summary>
public delegate string CommonNameFor(NodeSpec node);

/// <summary>Whether a node's file set carries a file (the topology gives roles, pki options and the first control-plane node).</summary>
public delegate bool HoldersFor(NodeSpec node, ClusterTopology topology);

/// <summary>
/// One row of the certificate table (kubeadm's KubeadmCert): data only; <see cref="PkiEngine"/> walks the rows.
/// A row without <see cref="CaName"/> is a self-signed CA.
/// </summary>
public sealed record CertSpec
{
    /// <summary>Short name, unique in the table (kubeadm's: "ca", "apiserver", "etcd-server"...).</summary>
    public required string Name { get; init; }

    public required string LongName { get; init; }

    /// <summary>File base name below pki/ in state (e.g. "etcd/server"); ".crt" and ".key" are appended.</summary>
    public required string BaseName { get; init; }

    /// <summary>The issuing CA's <see cref="Name"/>; null for a root CA.</summary>
    public string? CaName { get; init; }

    public string CommonName { get; init; } = string.Empty;

    /// <summary>Per-node certificates take their CN from the node.</summary>
    public CommonNameFor? NodeCommonName { get; init; }

    public IReadOnlyList<string> Organizations { get; init; } = [];

    public IReadOnlyList<ExtendedUsage> Usages { get; init; } = [];

    public AltNamesFor AltNames { get; init; } = Table.AltNames.None;

    /// <summary>One certificate per holding node (etcd server/peer, kubelet) instead of one for the cluster.</summary>
    public bool PerNode { get; init; }

    /// <summary>Where the certificate and key go on a node; null: they stay in state/ (kubeconfig client certificates).</summary>
    public string? NodeCertPath { get; init; }

    public string? NodeKeyPath { get; init; }

    /// <summary>Nodes that receive the certificate (and, for leaves, its key).</summary>
    public HoldersFor Holders { get; init; } = Table.Holders.Nobody;

    /// <summary>For CAs: nodes that receive the CA's private key. Leaves travel with their key.</summary>
    public HoldersFor KeyHolders { get; init; } = Table.Holders.Nobody;

    public bool IsCa => CaName is null;

    public string CommonNameOf(NodeSpec? node) =>
        PerNode && NodeCommonName is not null
            ? NodeCommonName(node ?? throw new ArgumentNullException(nameof(node), $"'{Name}' is per node"))
            : CommonName;

    public CertRequest RequestFor(ClusterTopology topology, NodeSpec? node)
    {
        var (dns, ips) = CertRequest.SplitAltNames(AltNames(topology, node));
        return new CertRequest
        {
            CommonName = CommonNameOf(node),
            Organizations = Organizations,
            Usages = Usages,
            DnsNames = dns,
            IpAddresses = ips,
            IsCa = IsCa,
        };
    }
}
