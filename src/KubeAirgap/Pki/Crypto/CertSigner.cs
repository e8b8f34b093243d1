using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;
using Org.BouncyCastle.X509.Extension;

namespace KubeAirgap.Pki.Crypto;

/// <summary>
/// The signing policy, in one place (kubeadm's pkiutil.NewSignedCert): random positive serial, validity backdated
/// by <see cref="Backdate"/>, DigitalSignature (+KeyEncipherment for RSA keys, +CertSign for CAs), a CN and at least
/// one extended usage for every leaf, de-duplicated SANs, and a leaf never outliving its CA.
/// </summary>
public static class CertSigner
{
    /// <summary>Tolerates clock skew between the build machine and the nodes (kubeadm's CertificateBackdate).</summary>
    public static readonly TimeSpan Backdate = TimeSpan.FromMinutes(5);

    public static X509Certificate SelfSignedCa(CertRequest request, AsymmetricCipherKeyPair key, DateTimeOffset now, int validityDays, SecureRandom random)
    {
        if (!request.IsCa)
        {
            throw new ArgumentException($"'{request.CommonName}' is not a CA request", nameof(request));
        }

        var name = Name(request);
        return Sign(request, name, key.Public, name, key.Private, null, now, now.AddDays(validityDays), random);
    }

    public static X509Certificate Signed(CertRequest request, AsymmetricKeyParameter publicKey, X509Certificate ca, AsymmetricKeyParameter caKey,
        DateTimeOffset now, int validityDays, SecureRandom random)
    {
        if (string.IsNullOrWhiteSpace(request.CommonName))
        {
            throw new ArgumentException("a certificate needs a common name", nameof(request));
        }

        if (!request.IsCa && request.Usages.Count == 0)
        {
            throw new ArgumentException($"'{request.CommonName}' needs at least one extended key usage", nameof(request));
        }

        var notAfter = now.AddDays(validityDays);
        var caNotAfter = new DateTimeOffset(ca.NotAfter, TimeSpan.Zero);
        if (notAfter > caNotAfter)
        {
            notAfter = caNotAfter;
        }

        return Sign(request, Name(request), publicKey, ca.SubjectDN, caKey, ca, now, notAfter, random);
    }

    private static X509Certificate Sign(CertRequest request, X509Name subject, AsymmetricKeyParameter publicKey, X509Name issuer,
        AsymmetricKeyParameter signingKey, X509Certificate? issuerCert, DateTimeOffset now, DateTimeOffset notAfter, SecureRandom random)
    {
        var g = new X509V3CertificateGenerator();
        g.SetSerialNumber(Serial(random));
        g.SetSubjectDN(subject);
        g.SetIssuerDN(issuer);
        g.SetNotBefore((now - Backdate).UtcDateTime);
        g.SetNotAfter(notAfter.UtcDateTime);
        g.SetPublicKey(publicKey);

        var usage = KeyUsage.DigitalSignature;
        if (publicKey is RsaKeyParameters)
        {
            usage |= KeyUsage.KeyEncipherment;
        }

        if (request.IsCa)
        {
            usage |= KeyUsage.KeyCertSign;
        }

        g.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(usage));
        g.AddExtension(X509Extensions.BasicConstraints, true, new BasicConstraints(request.IsCa));
        if (request.Usages.Count > 0)
        {
            g.AddExtension(X509Extensions.ExtendedKeyUsage, false, new ExtendedKeyUsage(request.Usages.Distinct().Select(Oid).ToArray()));
        }

        g.AddExtension(X509Extensions.SubjectKeyIdentifier, false, X509ExtensionUtilities.CreateSubjectKeyIdentifier(publicKey));
        if (issuerCert is not null)
        {
            g.AddExtension(X509Extensions.AuthorityKeyIdentifier, false, X509ExtensionUtilities.CreateAuthorityKeyIdentifier(issuerCert));
        }

        var (dns, ips) = CertRequest.SplitAltNames(request.DnsNames.Concat(request.IpAddresses.Select(i => i.ToString())));
        var names = dns.Select(d => new GeneralName(GeneralName.DnsName, d))
            .Concat(ips.Select(i => new GeneralName(GeneralName.IPAddress, i.ToString())))
            .ToArray();
        if (names.Length > 0)
        {
            g.AddExtension(X509Extensions.SubjectAlternativeName, false, new GeneralNames(names));
        }

        return g.Generate(new Asn1SignatureFactory(KeyAlgorithm.SignatureAlgorithmFor(signingKey), signingKey, random));
    }

    /// <summary>O=... before CN=..., as Go's crypto/x509 orders them.</summary>
    private static X509Name Name(CertRequest request)
    {
        var oids = new List<DerObjectIdentifier>();
        var values = new List<string>();
        foreach (var o in request.Organizations)
        {
            oids.Add(X509Name.O);
            values.Add(o);
        }

        oids.Add(X509Name.CN);
        values.Add(request.CommonName);
        return new X509Name(oids, values);
    }

    private static BigInteger Serial(SecureRandom random)
    {
        BigInteger serial;
        do
        {
            serial = new BigInteger(127, random);
        }
        while (serial.SignValue <= 0);

        return serial;
    }

    private static KeyPurposeID Oid(ExtendedUsage usage) => usage switch
    {
        ExtendedUsage.ServerAuth => KeyPurposeID.id_kp_serverAuth,
        ExtendedUsage.ClientAuth => KeyPurposeID.id_kp_clientAuth,
        _ => throw new ArgumentOutOfRangeException(nameof(usage)),
    };
}
