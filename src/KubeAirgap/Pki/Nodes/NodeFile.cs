using KubeAirgap.Layout;
using KubeAirgap.Pki.State;

namespace KubeAirgap.Pki.Nodes;

/// <summary>
/// One PKI file in a node's tree. The rule the bundle relies on: <see cref="Secret"/> files (private keys,
/// kubeconfigs with embedded keys, the encryption configuration) are mode 0600, every other file 0644.
/// </summary>
public sealed record NodeFile(string NodePath, byte[] Content, bool Secret)
{
    /// <summary>The path inside the node tree / bundle (pki/... for /etc/kubernetes/pki, etc/... otherwise).</summary>
    public string BundlePath => BundlePathOf(NodePath);

    public UnixFileMode Mode => Secret ? SecureFile.Secret : SecureFile.Public;

    /// <summary>The inverse of <see cref="NodeLayout.NodePathOf"/> for the PKI's files.</summary>
    public static string BundlePathOf(string nodePath) =>
        nodePath.StartsWith(NodeLayout.PkiDir + "/", StringComparison.Ordinal)
            ? "pki/" + nodePath[(NodeLayout.PkiDir.Length + 1)..]
            : NodeLayout.TreePathOf(nodePath);
}
