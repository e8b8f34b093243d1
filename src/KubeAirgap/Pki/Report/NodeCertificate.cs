using System.Text.RegularExpressions;
using KubeAirgap.Cluster;
using KubeAirgap.Diagnostics;
using KubeAirgap.Layout;
using KubeAirgap.Pki.Crypto;
using KubeAirgap.Pki.Table;
using Org.BouncyCastle.X509;

namespace KubeAirgap.Pki.Report;

/// <summary>
/// One certificate as a node gets it: a PEM file below pki/, or the client certificate a kubeconfig embeds
/// (<c>client-certificate-data</c>). <see cref="CaName"/> is the CA of the same tree that signed it (kubeadm's
/// names: ca, etcd-ca, front-proxy-ca), null when no CA of the tree did.
/// </summary>
public sealed partial record NodeCertificate(string Node, string NodePath, bool InKubeconfig, X509Certificate Certificate, string? CaName)
{
    public CertFacts Facts { get; } = CertFacts.Of(Certificate);

    /// <summary>The serial number in upper-case hex, as <c>openssl x509 -serial</c> prints it.</summary>
    public string Serial => Certificate.SerialNumber.ToString(16).ToUpperInvariant();

    /// <summary>
    /// Every certificate in <paramref name="nodeTree"/> (what the node's bundle carries): *.crt below pki/ and the
    /// client certificates of kubeconfigs below etc/, sorted by node path. A file that does not parse is an error naming it.
    /// </summary>
    public static IReadOnlyList<NodeCertificate> Read(ClusterSpec spec, NodeSpec node, string nodeTree)
    {
        if (!Directory.Exists(nodeTree))
        {
            throw new InputException($"{nodeTree}: no node tree for {node.Name}; run ./build.sh --target=Pki (or Bundle) first");
        }

        var layout = new NodeLayout(spec);
        var found = new List<(string NodePath, bool InKubeconfig, X509Certificate Cert)>();
        foreach (var file in Directory.EnumerateFiles(nodeTree, "*", SearchOption.AllDirectories))
        {
            var bundlePath = Path.GetRelativePath(nodeTree, file).Replace('\\', '/');
            if (bundlePath.StartsWith("pki/", StringComparison.Ordinal) && bundlePath.EndsWith(".crt", StringComparison.Ordinal))
            {
                found.Add((layout.NodePathOf(bundlePath), false, Parse(File.ReadAllText(file), file)));
            }
            else if (bundlePath.StartsWith("etc/", StringComparison.Ordinal) && bundlePath.EndsWith(".conf", StringComparison.Ordinal) &&
                ClientCertificateData().Match(File.ReadAllText(file)) is { Success: true } m)
            {
                found.Add((layout.NodePathOf(bundlePath), true, FromBase64(m.Groups[1].Value, file)));
            }
        }

        var cas = found.Where(f => CertFacts.Of(f.Cert).IsCa).ToList();
        return found
            .Select(f => new NodeCertificate(node.Name, f.NodePath, f.InKubeconfig, f.Cert,
                cas.Where(ca => CertFacts.SignedBy(f.Cert, ca.Cert)).Select(ca => CaNameOf(ca.NodePath, ca.Cert)).FirstOrDefault()))
            .OrderBy(c => c.NodePath, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The table's name of the CA at <paramref name="nodePath"/> (ca, etcd-ca, front-proxy-ca), else its CN.</summary>
    private static string CaNameOf(string nodePath, X509Certificate ca) =>
        CertTable.All().FirstOrDefault(r => r.IsCa && r.NodeCertPath == nodePath)?.Name ?? CertFacts.Of(ca).CommonName;

    private static X509Certificate FromBase64(string data, string file)
    {
        byte[] der;
        try
        {
            der = Convert.FromBase64String(data);
        }
        catch (FormatException)
        {
            throw new InputException($"{file}: client-certificate-data is not base64");
        }

        return Parse(System.Text.Encoding.ASCII.GetString(der), file);
    }

    private static X509Certificate Parse(string pem, string file)
    {
        try
        {
            return Pem.ReadCertificate(pem, file);
        }
        catch (FormatException e)
        {
            throw new InputException($"{e.Message}; the file is corrupt (rebuild with ./build.sh --target=Pki)", e);
        }
    }

    [GeneratedRegex(@"^\s*client-certificate-data:\s*(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex ClientCertificateData();
}
