using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;
using KubeAirgap.Content;

namespace KubeAirgap.Bundle.Manifests;

/// <summary>
/// Ed25519 signatures over SHA256SUMS (RFC 8032, deterministic), the format
/// <c>openssl pkeyutl -verify -rawin -pubin -inkey pub.pem -in SHA256SUMS -sigfile SHA256SUMS.sig</c> checks.
/// The key is a PKCS#8 PEM file (<c>openssl genpkey -algorithm ed25519</c>). Every bundle set is signed: unless
/// <c>[Bundle] SigningKey</c> names a key, the first Bundle of a cluster creates one in <c>state/&lt;cluster&gt;/</c> (0600).
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

    /// <summary>The cluster's own key in its state directory: <c>bundle-signing.key</c>, created (0600, folder 0700) when absent.</summary>
    public const string StateKeyName = "bundle-signing.key";

    /// <summary>Loads <paramref name="pemPath"/>, or creates a new Ed25519 key there (0600) when it does not exist yet.</summary>
    public static (BundleSigner Signer, bool Created) LoadOrCreate(string pemPath)
    {
        if (File.Exists(pemPath))
        {
            return (Load(pemPath), false);
        }

        var signer = Generate();
        OutputDirectory.Create(Path.GetDirectoryName(Path.GetFullPath(pemPath))!);
        OutputDirectory.WriteAtomic(pemPath, System.Text.Encoding.ASCII.GetBytes(signer.PrivateKeyPem()), OutputDirectory.Secret);
        return (signer, true);
    }

    /// <summary>A new random Ed25519 key (not written anywhere).</summary>
    public static BundleSigner Generate()
    {
        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        return new BundleSigner((Ed25519PrivateKeyParameters)generator.GenerateKeyPair().Private);
    }

    /// <summary>sha256 of the public key's DER (SubjectPublicKeyInfo), what verify-bundle.sh prints: compare it out of band.</summary>
    public string Fingerprint() =>
        Sha256Hex.Of(
            SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(_key.GeneratePublicKey()).GetDerEncoded());

    private string PrivateKeyPem()
    {
        // PKCS#8 PrivateKeyInfo v0 of RFC 8410 section 7, byte for byte what `openssl genpkey -algorithm ed25519`
        // writes: SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING seed(32) } }.
        byte[] der = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20, .. _key.GetEncoded()];
        return new string(System.Security.Cryptography.PemEncoding.Write("PRIVATE KEY", der)) + "\n";
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
