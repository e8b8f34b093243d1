using System.Globalization;

namespace KubeAirgap.Pki;

/// <summary>The Certs report: one line per certificate with subject, SANs, issuer and expiry (no key material).</summary>
public static class CertReport
{
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
