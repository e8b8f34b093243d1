using KubeAirgap.Cluster;
using KubeAirgap.Pki.Table;

namespace KubeAirgap.Pki.State;

/// <summary>
/// Where a cluster's PKI lives between builds (state/&lt;cluster&gt;/, folders 0700): CAs and cluster-wide leaves under
/// pki/ with kubeadm's names, per-node leaves under pki/nodes/&lt;node&gt;/, secrets under secrets/.
/// </summary>
public sealed class PkiStore(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    public string PkiDir => Path.Combine(Root, "pki");

    public string CertPath(CertSpec spec, NodeSpec? node) => Base(spec, node) + ".crt";

    public string KeyPath(CertSpec spec, NodeSpec? node) => Base(spec, node) + ".key";

    public string ServiceAccountKey => Path.Combine(PkiDir, "sa.key");

    public string ServiceAccountPub => Path.Combine(PkiDir, "sa.pub");

    public string EncryptionKey => Path.Combine(Root, "secrets", "encryption-key");

    /// <summary>Kubeconfigs kept on the build machine too (the break-glass super-admin.conf).</summary>
    public string Kubeconfig(string fileName) => Path.Combine(Root, "kubeconfig", fileName);

    /// <summary>Writes a state file: 0600 for secrets, 0644 otherwise; folders 0700.</summary>
    public bool Write(string path, string text, bool secret)
    {
        if (!OperatingSystem.IsWindows() && !Directory.Exists(Root))
        {
            Directory.CreateDirectory(Root, SecureFile.PrivateDir);
        }

        return SecureFile.Write(path, text, secret ? SecureFile.Secret : SecureFile.Public, SecureFile.PrivateDir);
    }

    /// <summary>The path relative to state/, for messages.</summary>
    public string Show(string path) => Path.GetRelativePath(Path.GetDirectoryName(Path.GetDirectoryName(Root)!)!, path);

    private string Base(CertSpec spec, NodeSpec? node) =>
        spec.PerNode
            ? Path.Combine(PkiDir, "nodes", node?.Name ?? throw new ArgumentNullException(nameof(node)), spec.BaseName)
            : Path.Combine(PkiDir, spec.BaseName);
}
