using System.Globalization;
using KubeAirgap.Cluster;
using KubeAirgap.Layout;
using KubeAirgap.Roles;

namespace KubeAirgap.Pki.Report;

/// <summary>
/// The Certs report, in the shape of <c>kubeadm certs check-expiration</c> but per node and per file: for every node,
/// the certificates its tree (its bundle) carries - PEM files and the client certificates kubeconfigs embed - with
/// EXPIRES, RESIDUAL TIME, CERTIFICATE AUTHORITY and who renews it; then its CAs. Residual time is measured from
/// "as of" (now, or <c>--pki_asof</c>). Warnings: every leaf within <c>pki.renewBeforeDays</c> (the window in which
/// the next build re-issues it), every expired one, every CA that expires before a new leaf would.
/// </summary>
public static class CertReport
{
    private const string Row = "{0,-50} {1,-24} {2,-15} {3,-23} {4}";

    public static IReadOnlyList<string> Lines(ClusterSpec spec, IReadOnlyDictionary<string, IReadOnlyList<NodeCertificate>> nodes, DateTimeOffset asOf, bool clockOverride)
    {
        var lines = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture,
                $"Certificates of cluster {spec.Name} per node, as its bundle carries them; residual time as of {asOf:yyyy-MM-dd HH:mm} UTC{(clockOverride ? " (--pki_asof)" : string.Empty)}."),
            RenewalNote(spec),
        };
        foreach (var node in spec.Nodes)
        {
            var certs = nodes[node.Name];
            lines.Add(string.Empty);
            lines.Add($"NODE {node.Name} ({string.Join(", ", node.Roles.Order().Select(r => r.Name()))})");
            lines.Add(Format("CERTIFICATE", "EXPIRES", "RESIDUAL TIME", "CERTIFICATE AUTHORITY", "RENEWED BY"));
            foreach (var c in certs.Where(c => !c.Facts.IsCa))
            {
                lines.Add(Format(c.NodePath, Expires(c), Residual(c.Facts.NotAfter - asOf), c.CaName ?? "?? " + c.Facts.Issuer, RenewedBy(spec, c)));
            }

            lines.Add(Format("CERTIFICATE AUTHORITY", "EXPIRES", "RESIDUAL TIME", "KEY ON NODE", string.Empty).TrimEnd());
            foreach (var c in certs.Where(c => c.Facts.IsCa))
            {
                lines.Add(Format(c.NodePath, Expires(c), Residual(c.Facts.NotAfter - asOf), KeyOnNode(spec, node, c), string.Empty).TrimEnd());
            }
        }

        return lines;
    }

    /// <summary>One warning per distinct certificate (nodes that hold the same one are named together).</summary>
    public static IReadOnlyList<string> Warnings(ClusterSpec spec, IReadOnlyDictionary<string, IReadOnlyList<NodeCertificate>> nodes, DateTimeOffset asOf, bool clockOverride)
    {
        var warnings = new List<string>();
        var window = TimeSpan.FromDays(spec.Pki.RenewBeforeDays);
        var distinct = nodes.Values.SelectMany(n => n)
            .GroupBy(c => (c.NodePath, c.Facts.Sha256))
            .OrderBy(g => g.First().Facts.NotAfter)
            .ThenBy(g => g.Key.NodePath, StringComparer.Ordinal);
        foreach (var g in distinct)
        {
            var c = g.First();
            var holders = string.Join(", ", g.Select(x => x.Node).Distinct(StringComparer.Ordinal));
            var left = c.Facts.NotAfter - asOf;
            var when = string.Create(CultureInfo.InvariantCulture, $"{c.Facts.NotAfter:yyyy-MM-dd HH:mm} UTC ({Residual(left)})");
            if (c.Facts.IsCa)
            {
                if (left < TimeSpan.FromDays(spec.Pki.LeafValidityDays))
                {
                    warnings.Add($"WARNING: CA {c.NodePath} on {holders} expires {when}: new leaves are cut short to that date, and a build does not renew a CA (docs/pki.md, \"CA rotation\")");
                }

                continue;
            }

            if (left > window)
            {
                continue;
            }

            var state = left <= TimeSpan.Zero ? "EXPIRED" : "expires";
            var kubelet = spec.Pki.CaKeyOnNodes && c.NodePath == NodeLayout.KubeletKubeconfig
                ? "the kubelet renews its client certificate itself (CSR signer, pki.caKeyOnNodes: true); for the file itself, "
                : string.Empty;
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"WARNING: {c.NodePath} on {holders} {state} {when}, within pki.renewBeforeDays ({spec.Pki.RenewBeforeDays}): {kubelet}" +
                $"run ./build.sh --target=Bundle{(clockOverride ? " --pki_asof=" + AsOfArgument(asOf) : string.Empty)} " +
                $"(Pki re-issues it, same CA) and install the new bundle on {holders} before {c.Facts.NotAfter:yyyy-MM-dd}"));
        }

        return warnings;
    }

    /// <summary>kubeadm's duration.ShortHumanDuration: 45s, 12m, 5h, 364d, 9y; "&lt;invalid&gt;" once expired.</summary>
    public static string Residual(TimeSpan d)
    {
        var seconds = (long)d.TotalSeconds;
        return seconds switch
        {
            < -1 => "<invalid>",
            < 0 => "0s",
            < 60 => $"{seconds}s",
            _ when d.TotalMinutes < 60 => $"{(long)d.TotalMinutes}m",
            _ when d.TotalHours < 24 => $"{(long)d.TotalHours}h",
            _ when d.TotalHours < 24 * 365 => $"{(long)(d.TotalHours / 24)}d",
            _ => $"{(long)(d.TotalHours / 24 / 365)}y",
        };
    }

    /// <summary>The --pki_asof value that stands for <paramref name="asOf"/>: the date alone at midnight, else the full UTC time.</summary>
    public static string AsOfArgument(DateTimeOffset asOf) =>
        asOf.ToUniversalTime().TimeOfDay == TimeSpan.Zero
            ? asOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : asOf.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static string RenewalNote(ClusterSpec spec) => spec.Pki.CaKeyOnNodes
        ? $"Renewal: a build re-issues every leaf within pki.renewBeforeDays ({spec.Pki.RenewBeforeDays}) of its expiry (same CA) and Bundle packs it; " +
          "kubelets renew their client certificates on the node (CSR signer, pki.caKeyOnNodes: true)."
        : $"Renewal: pki.caKeyOnNodes is false, so no CA key is on any node and nothing renews a certificate on a node, the kubelet's included: " +
          $"every certificate below is renewed only by a new bundle. A build re-issues leaves within pki.renewBeforeDays ({spec.Pki.RenewBeforeDays}); install the bundles before they expire.";

    private static string RenewedBy(ClusterSpec spec, NodeCertificate c) =>
        spec.Pki.CaKeyOnNodes && c.NodePath == NodeLayout.KubeletKubeconfig ? "kubelet (CSR), bundle" : "bundle";

    private static string KeyOnNode(ClusterSpec spec, NodeSpec node, NodeCertificate ca) =>
        ca.CaName == Table.CertTable.ClusterCa && spec.Pki.CaKeyOnNodes && node.Has(NodeRole.ControlPlane) ? "yes (pki.caKeyOnNodes)" : "no (build host only)";

    private static string Expires(NodeCertificate c) => c.Facts.NotAfter.ToString("MMM dd, yyyy HH:mm 'UTC'", CultureInfo.InvariantCulture);

    private static string Format(string a, string b, string c, string d, string e) => string.Format(CultureInfo.InvariantCulture, Row, a, b, c, d, e);
}
