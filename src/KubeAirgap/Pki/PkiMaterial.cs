using KubeAirgap.Cluster;
using KubeAirgap.Pki.Table;

namespace KubeAirgap.Pki;

/// <summary>The cluster's PKI after <see cref="PkiEngine.Run"/>: every CA, leaf and secret, loaded from state/.</summary>
public sealed class PkiMaterial
{
    internal PkiMaterial(ClusterTopology topology, IReadOnlyList<IssuedCert> certificates, string serviceAccountKeyPem,
        string serviceAccountPubPem, byte[] encryptionKey)
    {
        Topology = topology;
        Certificates = certificates;
        ServiceAccountKeyPem = serviceAccountKeyPem;
        ServiceAccountPubPem = serviceAccountPubPem;
        EncryptionKey = encryptionKey;
    }

    public ClusterTopology Topology { get; }

    /// <summary>CAs first, then leaves (per-node leaves once per holding node).</summary>
    public IReadOnlyList<IssuedCert> Certificates { get; }

    public string ServiceAccountKeyPem { get; }

    public string ServiceAccountPubPem { get; }

    /// <summary>The 32-byte encryption-at-rest key for Secrets.</summary>
    public byte[] EncryptionKey { get; }

    public IssuedCert Get(string name, NodeSpec? node = null) =>
        Certificates.FirstOrDefault(c => c.Spec.Name == name && (!c.Spec.PerNode || c.Node?.Name == node?.Name))
        ?? throw new KeyNotFoundException(node is null ? $"no certificate '{name}'" : $"no certificate '{name}' for node '{node.Name}'");

    public IssuedCert CaOf(CertSpec spec) => Get(spec.CaName ?? spec.Name);

    public IssuedCert ClusterCa => Get(CertTable.ClusterCa);
}
