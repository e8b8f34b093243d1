using System.Security.Cryptography;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace KubeAirgap.Pki.Crypto;

/// <summary>A key type from cluster.yaml's <c>pki.keyAlgorithm</c>: rsa-2048/3072/4096 or ecdsa-p256/p384.</summary>
public sealed record KeyAlgorithm(string Name, bool IsRsa, int Size)
{
    public static readonly IReadOnlyList<KeyAlgorithm> All =
    [
        new("rsa-2048", true, 2048),
        new("rsa-3072", true, 3072),
        new("rsa-4096", true, 4096),
        new("ecdsa-p256", false, 256),
        new("ecdsa-p384", false, 384),
    ];

    public static KeyAlgorithm Parse(string name) =>
        All.FirstOrDefault(a => a.Name == name)
        ?? throw new ArgumentException($"'{name}' is not a key algorithm (expected one of {string.Join(", ", All.Select(a => a.Name))})", nameof(name));

    /// <summary>A new key pair. RSA keys come from the platform (OpenSSL: much faster than a managed prime search).</summary>
    public AsymmetricCipherKeyPair Generate(SecureRandom random)
    {
        if (IsRsa)
        {
            using var rsa = RSA.Create(Size);
            return DotNetUtilities.GetRsaKeyPair(rsa.ExportParameters(includePrivateParameters: true));
        }

        var generator = new ECKeyPairGenerator("EC");
        generator.Init(new ECKeyGenerationParameters(CurveOid, random));
        return generator.GenerateKeyPair();
    }

    private DerObjectIdentifier CurveOid => Size == 256 ? SecObjectIdentifiers.SecP256r1 : SecObjectIdentifiers.SecP384r1;

    /// <summary>The algorithm name of an existing key ("rsa-2048", "ecdsa-p256"), or a description of an unsupported one.</summary>
    public static string Describe(AsymmetricKeyParameter publicKey) => publicKey switch
    {
        RsaKeyParameters rsa => $"rsa-{rsa.Modulus.BitLength}",
        ECPublicKeyParameters ec when Equals(ec.PublicKeyParamSet, SecObjectIdentifiers.SecP256r1) => "ecdsa-p256",
        ECPublicKeyParameters ec when Equals(ec.PublicKeyParamSet, SecObjectIdentifiers.SecP384r1) => "ecdsa-p384",
        ECPublicKeyParameters ec => $"ecdsa-{ec.Parameters.Curve.FieldSize}",
        _ => publicKey.GetType().Name,
    };

    /// <summary>The signature algorithm a key signs with: SHA256 for RSA and P-256, SHA384 for P-384.</summary>
    public static string SignatureAlgorithmFor(AsymmetricKeyParameter privateKey) => privateKey switch
    {
        RsaKeyParameters => "SHA256WITHRSA",
        ECPrivateKeyParameters ec when ec.Parameters.Curve.FieldSize > 256 => "SHA384WITHECDSA",
        ECPrivateKeyParameters => "SHA256WITHECDSA",
        _ => throw new ArgumentException($"unsupported signing key {privateKey.GetType().Name}", nameof(privateKey)),
    };

    /// <summary>The public half of a private key (PKCS#8 files carry only the private part).</summary>
    public static AsymmetricCipherKeyPair PairOf(AsymmetricKeyParameter privateKey) => privateKey switch
    {
        RsaPrivateCrtKeyParameters rsa => new AsymmetricCipherKeyPair(new RsaKeyParameters(false, rsa.Modulus, rsa.PublicExponent), rsa),
        ECPrivateKeyParameters ec => new AsymmetricCipherKeyPair(
            ec.PublicKeyParamSet is { } curve
                ? new ECPublicKeyParameters("EC", ec.Parameters.G.Multiply(ec.D).Normalize(), curve)
                : new ECPublicKeyParameters(ec.Parameters.G.Multiply(ec.D).Normalize(), ec.Parameters),
            ec),
        _ => throw new ArgumentException($"unsupported private key {privateKey.GetType().Name}", nameof(privateKey)),
    };
}
