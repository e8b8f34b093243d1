using System.Globalization;

namespace KubeAirgap.Pki;

/// <summary>The Certs report: one line per certificate with subject, SANs, issuer and expiry (no key material), then
/// a warning for every leaf within <see cref="WarnDays"/> of its expiry, saying how renewal happens.</summary>
public static class CertReport
{
    /// <summary>Leaves that expire within this many days are warned about.</summary>
    public const int WarnDays = 30;

    /// <summary>One warning per leaf certificate that expires within <see cref="WarnDays"/> days of <paramref name="now"/> (CAs are not leaves).</summary>
    public static IReadOnlyList<string> Warnings(PkiMaterial material, DateTimeOffset now, bool caKeyOnNodes) =>
        material.Certificates
            .Where(c => !c.Spec.IsCa && c.Facts.NotAfter - now < TimeSpan.FromDays(WarnDays))
            .OrderBy(c => c.Facts.NotAfter)
            .Select(c =>
            {
                var days = (int)Math.Floor((c.Facts.NotAfter - now).TotalDays);
                var onNode = caKeyOnNodes && c.Spec.Name.StartsWith("kubelet", StringComparison.Ordinal)
                    ? "the kubelet renews it on the node (CSR signer, caKeyOnNodes: true); if it cannot, "
                    : string.Empty;
                return string.Create(CultureInfo.InvariantCulture,
                    $"WARNING: {c.Label} expires {c.Facts.NotAfter:yyyy-MM-dd} ({days}d): {onNode}run ./build.sh --target=Bundle (Pki re-issues leaves {WarnDays} days before expiry) and install the new bundle on {c.Node?.Name ?? "every node that holds it"} before then");
            })
            .ToList();

    public static IReadOnlyList<string> Lines(PkiMaterial material, DateTimeOffset now) =>
        material.Certificates.Select(c =>
        {
            var f = c.Facts;
            var subject = (f.Organizations.Count > 0 ? "O=" + string.Join("+", f.Organizations) + ", " : string.Empty) + "CN=" + f.CommonName;
            var sans = f.DnsNames.Concat(f.IpAddresses).ToList();
            var days = (int)Math.Floor((f.NotAfter - now).TotalDays);
            return string.Create(CultureInfo.InvariantCulture,
                $"{c.Label,-36} {subject,-50} issuer {c.Spec.CaName ?? "self"}, expires {f.NotAfter:yyyy-MM-dd} ({days}d), {string.Join("/", f.Usages)}{(sans.Count > 0 ? ", SANs " + string.Join(",", sans) : string.Empty)}");
        }).ToList();
}
