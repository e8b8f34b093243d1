using System.Net;
using System.Security.Cryptography;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Security.Certificates;
using Org.BouncyCastle.X509;
using KubeAirgap.Content;

namespace KubeAirgap.Pki.Crypto;

/// <summary>What an existing certificate says: compared with the table's wishes to decide whether to re-issue.</summary>
public sealed record CertFacts(
    string CommonName,
    IReadOnlyList<string> Organizations,
    IReadOnlyList<string> DnsNames,
    IReadOnlyList<string> IpAddresses,
    IReadOnlyList<ExtendedUsage> Usages,
    bool IsCa,
    string KeyAlgorithm,
    string Issuer,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    string Sha256)
{
    public static CertFacts Of(X509Certificate cert)
    {
        var dns = new List<string>();
        var ips = new List<string>();
        var san = cert.GetExtensionValue(X509Extensions.SubjectAlternativeName);
        if (san is not null)
        {
            foreach (var name in GeneralNames.GetInstance(Asn1Object.FromByteArray(san.GetOctets())).GetNames())
            {
                if (name.TagNo == GeneralName.DnsName)
                {
                    dns.Add(((IAsn1String)name.Name).GetString());
                }
                else if (name.TagNo == GeneralName.IPAddress)
                {
                    ips.Add(new IPAddress(Asn1OctetString.GetInstance(name.Name).GetOctets()).ToString());
                }
            }
        }

        var usages = new List<ExtendedUsage>();
        foreach (var oid in cert.GetExtendedKeyUsage() ?? [])
        {
            if (oid.Equals(KeyPurposeID.id_kp_serverAuth))
            {
                usages.Add(ExtendedUsage.ServerAuth);
            }
            else if (oid.Equals(KeyPurposeID.id_kp_clientAuth))
            {
                usages.Add(ExtendedUsage.ClientAuth);
            }
        }

        return new CertFacts(
            cert.SubjectDN.GetValueList(X509Name.CN).FirstOrDefault() ?? string.Empty,
            cert.SubjectDN.GetValueList(X509Name.O).ToList(),
            dns,
            ips,
            usages,
            cert.GetBasicConstraints() >= 0,
            Crypto.KeyAlgorithm.Describe(cert.GetPublicKey()),
            cert.IssuerDN.ToString(),
            new DateTimeOffset(cert.NotBefore, TimeSpan.Zero),
            new DateTimeOffset(cert.NotAfter, TimeSpan.Zero),
            Sha256Hex.Of(cert.GetEncoded()));
    }

    /// <summary>
    /// True when the private key belongs to the certificate: the RSA modulus and exponent, or the EC point d·G, are the
    /// certificate's. (Compared field by field: building a second RSA public key would repeat BouncyCastle's costly
    /// modulus validation for every key of every rebuild.)
    /// </summary>
    public static bool KeyMatches(X509Certificate cert, AsymmetricKeyParameter privateKey) => (privateKey, cert.GetPublicKey()) switch
    {
        (RsaPrivateCrtKeyParameters k, RsaKeyParameters p) => k.Modulus.Equals(p.Modulus) && k.PublicExponent.Equals(p.Exponent),
        (ECPrivateKeyParameters k, ECPublicKeyParameters p) => k.Parameters.Equals(p.Parameters) && k.Parameters.G.Multiply(k.D).Normalize().Equals(p.Q),
        _ => false,
    };

    /// <summary>True when <paramref name="cert"/> carries a valid signature by <paramref name="issuer"/>'s key.</summary>
    public static bool SignedBy(X509Certificate cert, X509Certificate issuer)
    {
        if (!cert.IssuerDN.Equivalent(issuer.SubjectDN))
        {
            return false;
        }

        try
        {
            cert.Verify(issuer.GetPublicKey());
            return true;
        }
        catch (Exception e) when (e is InvalidKeyException or CertificateException or SignatureException or CryptoException)
        {
            return false;
        }
    }
}
