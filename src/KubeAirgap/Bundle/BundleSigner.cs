using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.OpenSsl;

namespace KubeAirgap.Bundle;

/// <summary>
/// Ed25519 signatures over SHA256SUMS (RFC 8032, deterministic), the format
/// <c>openssl pkeyutl -verify -rawin -pubin -inkey pub.pem -in SHA256SUMS -sigfile SHA256SUMS.sig</c> checks.
/// The key is a PKCS#8 PEM file (<c>openssl genpkey -algorithm ed25519</c>).
/// </summary>
public sealed class BundleSigner
{
    private readonly Ed25519PrivateKeyParameters _key;

    private BundleSigner(Ed25519PrivateKeyParameters key) => _key = key;

    public static BundleSigner Load(string pemPath)
    {
        if (!File.Exists(pemPath))
        {
            throw new FileNotFoundException($"signing key {pemPath} ([Bundle] SigningKey) does not exist", pemPath);
        }

        using var text = File.OpenText(pemPath);
        var obj = new PemReader(text).ReadObject();
        return obj switch
        {
            Ed25519PrivateKeyParameters key => new BundleSigner(key),
            _ => throw new InvalidDataException($"{pemPath}: expected an Ed25519 private key (PKCS#8 PEM), found {obj?.GetType().Name ?? "nothing"}"),
        };
    }

    public byte[] Sign(byte[] message)
    {
        var signer = new Ed25519Signer();
        signer.Init(true, _key);
        signer.BlockUpdate(message, 0, message.Length);
        return signer.GenerateSignature();
    }

    /// <summary>The public key as a SubjectPublicKeyInfo PEM (what the installer's --pubkey takes).</summary>
    public string PublicKeyPem()
    {
        using var writer = new StringWriter();
        var pem = new PemWriter(writer);
        pem.WriteObject(_key.GeneratePublicKey());
        pem.Writer.Flush();
        return writer.ToString().Replace("\r\n", "\n", StringComparison.Ordinal);
    }
}
