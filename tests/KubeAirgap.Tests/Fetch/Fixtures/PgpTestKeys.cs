using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;

namespace KubeAirgap.Tests.Fetch.Fixtures;

/// <summary>A throw-away OpenPGP key made with BouncyCastle, to sign fixtures the way nginx signs its tarballs.</summary>
public sealed class PgpTestKey
{
    private readonly PgpKeyPair _pair;

    public PgpTestKey(string userId)
    {
        var generator = new RsaKeyPairGenerator();
        generator.Init(new RsaKeyGenerationParameters(BigInteger.ValueOf(0x10001), new SecureRandom(), 2048, 12));
        _pair = new PgpKeyPair(PublicKeyAlgorithmTag.RsaGeneral, generator.GenerateKeyPair(), DateTime.UtcNow.AddMinutes(-1));
        var rings = new PgpKeyRingGenerator(PgpSignature.PositiveCertification, _pair, userId, SymmetricKeyAlgorithmTag.Aes256,
            "unused".ToCharArray(), true, null, null, new SecureRandom());
        PublicRing = rings.GeneratePublicKeyRing();
    }

    public PgpPublicKeyRing PublicRing { get; }

    public string Fingerprint => Convert.ToHexString(PublicRing.GetPublicKey().GetFingerprint());

    /// <summary>Writes the public key, armored, like nginx.org/keys/*.key.</summary>
    public string WritePublicKey(string path)
    {
        using var file = File.Create(path);
        using var armored = new ArmoredOutputStream(file);
        PublicRing.Encode(armored);
        return path;
    }

    /// <summary>Writes an armored detached signature of <paramref name="dataFile"/>, like nginx-X.tar.gz.asc.</summary>
    public string Sign(string dataFile, string signaturePath)
    {
        var generator = new PgpSignatureGenerator(PublicKeyAlgorithmTag.RsaGeneral, HashAlgorithmTag.Sha256);
        generator.InitSign(PgpSignature.BinaryDocument, _pair.PrivateKey);
        generator.Update(File.ReadAllBytes(dataFile));
        using var file = File.Create(signaturePath);
        using var armored = new ArmoredOutputStream(file);
        generator.Generate().Encode(armored);
        return signaturePath;
    }
}
