using System.Text;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.X509;

namespace KubeAirgap.Pki.Crypto;

/// <summary>PEM encoding and decoding of certificates and keys. Keys are written as PKCS#8 ("PRIVATE KEY").</summary>
public static class Pem
{
    public static string Encode(string label, byte[] der)
    {
        var b = new StringBuilder();
        b.Append("-----BEGIN ").Append(label).Append("-----\n");
        var base64 = Convert.ToBase64String(der);
        for (var i = 0; i < base64.Length; i += 64)
        {
            b.Append(base64, i, Math.Min(64, base64.Length - i)).Append('\n');
        }

        b.Append("-----END ").Append(label).Append("-----\n");
        return b.ToString();
    }

    public static string Certificate(X509Certificate certificate) => Encode("CERTIFICATE", certificate.GetEncoded());

    public static string PrivateKey(AsymmetricKeyParameter privateKey) =>
        Encode("PRIVATE KEY", PrivateKeyInfoFactory.CreatePrivateKeyInfo(privateKey).GetEncoded());

    public static string PublicKey(AsymmetricKeyParameter publicKey) =>
        Encode("PUBLIC KEY", SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(publicKey).GetEncoded());

    /// <summary>Reads the first certificate of a PEM file; <paramref name="file"/> names it in the error.</summary>
    public static X509Certificate ReadCertificate(string text, string file) =>
        Read(text, file) as X509Certificate ?? throw new FormatException($"{file}: no PEM certificate found");

    /// <summary>Reads a private key in PKCS#8, PKCS#1 ("RSA PRIVATE KEY") or SEC1 ("EC PRIVATE KEY") form.</summary>
    public static AsymmetricKeyParameter ReadPrivateKey(string text, string file) => Read(text, file) switch
    {
        AsymmetricCipherKeyPair pair => pair.Private,
        AsymmetricKeyParameter { IsPrivate: true } key => key,
        _ => throw new FormatException($"{file}: no PEM private key found"),
    };

    public static AsymmetricKeyParameter ReadPublicKey(string text, string file) => Read(text, file) switch
    {
        AsymmetricKeyParameter { IsPrivate: false } key => key,
        _ => throw new FormatException($"{file}: no PEM public key found"),
    };

    private static object Read(string text, string file)
    {
        try
        {
            using var reader = new StringReader(text);
            return new Org.BouncyCastle.OpenSsl.PemReader(reader).ReadObject()
                ?? throw new FormatException($"{file}: not a PEM file");
        }
        catch (Exception e) when (e is not FormatException)
        {
            throw new FormatException($"{file}: cannot be parsed as PEM ({e.GetType().Name}: {e.Message})", e);
        }
    }
}
