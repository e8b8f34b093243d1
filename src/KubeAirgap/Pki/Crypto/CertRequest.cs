using System.Net;

namespace KubeAirgap.Pki.Crypto;

/// <summary>What a certificate says about its subject; the crypto layer knows no certificate names beyond this.</summary>
public sealed record CertRequest
{
    public required string CommonName { get; init; }

    public IReadOnlyList<string> Organizations { get; init; } = [];

    public IReadOnlyList<ExtendedUsage> Usages { get; init; } = [];

    public IReadOnlyList<string> DnsNames { get; init; } = [];

    public IReadOnlyList<IPAddress> IpAddresses { get; init; } = [];

    public bool IsCa { get; init; }

    /// <summary>Splits SAN strings into IP addresses and DNS names, de-duplicated in first-seen order.</summary>
    public static (IReadOnlyList<string> Dns, IReadOnlyList<IPAddress> Ips) SplitAltNames(IEnumerable<string> altNames)
    {
        var dns = new List<string>();
        var ips = new List<IPAddress>();
        foreach (var name in altNames)
        {
            if (IPAddress.TryParse(name, out var ip))
            {
                if (!ips.Contains(ip))
                {
                    ips.Add(ip);
                }
            }
            else if (!dns.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                dns.Add(name);
            }
        }

        return (dns, ips);
    }
}

/// <summary>Extended key usages a leaf can carry.</summary>
public enum ExtendedUsage
{
    ServerAuth,
    ClientAuth,
}
