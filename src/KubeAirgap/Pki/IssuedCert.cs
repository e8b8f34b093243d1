using KubeAirgap.Cluster;
using KubeAirgap.Pki.Crypto;
using KubeAirgap.Pki.Table;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.X509;

namespace KubeAirgap.Pki;

/// <summary>What the engine did with a certificate on this run.</summary>
public enum PkiAction
{
    Reused,
    Created,
    Reissued,
    Imported,
}

/// <summary>A certificate and its key as held in state/, with what this run did to it and why.</summary>
public sealed record IssuedCert(CertSpec Spec, NodeSpec? Node, X509Certificate Certificate, AsymmetricCipherKeyPair Key, PkiAction Action, string Reason)
{
    public CertFacts Facts { get; } = CertFacts.Of(Certificate);

    public string CertPem => Pem.Certificate(Certificate);

    public string KeyPem => Pem.PrivateKey(Key.Private);

    /// <summary>"etcd-server[k8s-01]" or "apiserver".</summary>
    public string Label => Node is null ? Spec.Name : $"{Spec.Name}[{Node.Name}]";
}
