using System.Security.Cryptography;
using System.Text.Json;
using KubeAirgap.Diagnostics;
using KubeAirgap.Pki.State;
using KubeAirgap.Pki.Table;
using KubeAirgap.Content;

namespace KubeAirgap.Pki;

/// <summary>
/// A cluster is its CA. bundle-manifest.json records the cluster CA's fingerprint; before Pki would create new CAs
/// (state/&lt;cluster&gt;/ lost) or use a state whose CA is another one (restored from the wrong backup), it refuses,
/// unless the operator asks for a new cluster on purpose (<c>--pki_newcluster=true</c>).
/// </summary>
public static class ClusterIdentity
{
    /// <summary>sha256 of the certificate's DER, lower-case hex (<c>openssl x509 -noout -fingerprint -sha256</c> without colons); null when the PEM holds no certificate.</summary>
    public static string? Fingerprint(string pem)
    {
        if (!PemEncoding.TryFind(pem, out var fields) || pem[fields.Label] != "CERTIFICATE")
        {
            return null;
        }

        var der = new byte[fields.DecodedDataLength];
        return Convert.TryFromBase64Chars(pem[fields.Base64Data], der, out var written)
            ? Sha256Hex.Of(der.AsSpan(0, written))
            : null;
    }

    /// <summary>The CA fingerprint the last bundle-manifest.json at <paramref name="manifestPath"/> records, if any.</summary>
    public static string? Recorded(string manifestPath)
    {
        if (!File.Exists(manifestPath))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(manifestPath));
            return doc.RootElement.TryGetProperty("caFingerprint", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Throws, explaining what losing state/ means and how to restore it, when Pki would give the cluster another CA than its last bundle's.</summary>
    public static void Check(PkiStore store, string cluster, string manifestPath, bool newCluster)
    {
        var recorded = Recorded(manifestPath);
        if (recorded is null || newCluster)
        {
            return;
        }

        var caPath = store.CertPath(CertTable.RootCa(), null);
        var current = File.Exists(caPath) ? Fingerprint(File.ReadAllText(caPath)) : null;
        if (current == recorded)
        {
            return;
        }

        var found = current is null
            ? $"{caPath} does not exist, so Pki would create new CAs"
            : $"{caPath} is another CA (sha256 {current})";
        throw new InputException(
            $"cluster {cluster}: the last bundle ({manifestPath}) was built with the cluster CA sha256 {recorded}, but {found}.\n" +
            "A new CA is a new cluster: nodes installed from earlier bundles would trust nothing this build signs; kubeconfigs, etcd peers and " +
            "service-account tokens stop working, and the installer refuses the bundle as another cluster's.\n" +
            $"{store.Root} holds the cluster's CAs, keys and secrets and exists only on the build host. Restore it from your backup " +
            $"(its pki/ca.crt must have sha256 {recorded}), or import the CAs from a control-plane node with --pki_import=DIR " +
            "(a kubeadm-style pki directory: ca.crt/ca.key, front-proxy-ca.*, etcd/ca.*, sa.key).\n" +
            "To build a new cluster on purpose, pass --pki_newcluster=true.");
    }
}
