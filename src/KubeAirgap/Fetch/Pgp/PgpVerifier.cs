using Org.BouncyCastle.Bcpg.OpenPgp;

namespace KubeAirgap.Fetch.Pgp;

/// <summary>
/// Verifies a detached OpenPGP signature (e.g. nginx-X.tar.gz.asc) against a set of trusted public keys (armored or
/// binary key files). A signature by any other key, a bad signature, or one <see cref="PgpKeyPolicy"/> refuses (revoked
/// or expired primary or subkey, a subkey without a valid signing binding, a SHA-1 or weaker hash) is refused.
/// </summary>
public static class PgpVerifier
{
    /// <summary>The primary keys in <paramref name="keyFile"/>, with upper-case hex fingerprints.</summary>
    public static IReadOnlyList<PgpKeyInfo> LoadKeys(string keyFile)
    {
        var bundle = ReadBundle(keyFile);
        return bundle.GetKeyRings().Select(ring => Info(ring.GetPublicKey(), keyFile)).ToList();
    }

    /// <summary>Checks that <paramref name="signatureFile"/> is a valid signature of <paramref name="dataFile"/> by one of the keys.</summary>
    /// <returns>The key that made the signature.</returns>
    /// <exception cref="SignatureException">The signature is missing, malformed, bad, or made by an unknown or expired key.</exception>
    public static PgpKeyInfo Verify(string dataFile, string signatureFile, IEnumerable<string> keyFiles)
    {
        if (!File.Exists(signatureFile))
        {
            throw new SignatureException($"{dataFile}: signature file {signatureFile} is missing");
        }

        var rings = new List<(PgpPublicKeyRingBundle Bundle, string File)>();
        foreach (var keyFile in keyFiles)
        {
            rings.Add((ReadBundle(keyFile), keyFile));
        }

        var signatures = ReadSignatures(signatureFile);
        var problems = new List<string>();
        foreach (var signature in signatures)
        {
            var match = rings.Select(r => (Key: r.Bundle.GetPublicKey(signature.KeyId), Ring: r.Bundle.GetPublicKeyRing(signature.KeyId), r.File))
                .FirstOrDefault(m => m.Key is not null);
            if (match.Key is null)
            {
                problems.Add($"signed by key ID {signature.KeyId:X16}, which is not among the trusted keys ({string.Join(", ", rings.Select(r => Path.GetFileName(r.File)))})");
                continue;
            }

            var primary = Info(match.Ring.GetPublicKey(), match.File);
            if (PgpKeyPolicy.Refusal(signature, match.Ring.GetPublicKey(), match.Key) is { } refusal)
            {
                problems.Add($"signature by {primary.Fingerprint} ({primary.UserId}) refused: {refusal}");
                continue;
            }

            signature.InitVerify(match.Key);
            using (var data = File.OpenRead(dataFile))
            {
                var buffer = new byte[1 << 16];
                int read;
                while ((read = data.Read(buffer)) > 0)
                {
                    signature.Update(buffer, 0, read);
                }
            }

            if (signature.Verify())
            {
                return primary;
            }

            problems.Add($"BAD signature by {primary.Fingerprint} ({primary.UserId}): the file does not match what was signed");
        }

        throw new SignatureException($"{dataFile}: signature {signatureFile} refused: " + (problems.Count == 0 ? "no signature found" : string.Join("; ", problems)));
    }

    /// <summary>Reads every key of a key file; an armored file may hold several concatenated blocks (nginx_signing.key has three).</summary>
    private static PgpPublicKeyRingBundle ReadBundle(string file)
    {
        const string Begin = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
        try
        {
            var bytes = File.ReadAllBytes(file);
            var text = System.Text.Encoding.ASCII.GetString(bytes);
            var blocks = text.Contains(Begin, StringComparison.Ordinal)
                ? text.Split(Begin, StringSplitOptions.RemoveEmptyEntries).Where(b => b.Contains("-----END", StringComparison.Ordinal))
                    .Select(b => System.Text.Encoding.ASCII.GetBytes(Begin + b)).ToList()
                : [bytes];
            var bundle = new PgpPublicKeyRingBundle(Array.Empty<PgpObject>());
            foreach (var block in blocks)
            {
                using var stream = new MemoryStream(block);
                foreach (PgpPublicKeyRing ring in new PgpPublicKeyRingBundle(PgpUtilities.GetDecoderStream(stream)).GetKeyRings())
                {
                    bundle = PgpPublicKeyRingBundle.AddPublicKeyRing(bundle, ring);
                }
            }

            return bundle.Count == 0 ? throw new SignatureException($"{file}: no OpenPGP public key found") : bundle;
        }
        catch (Exception e) when (e is PgpException or IOException)
        {
            throw new SignatureException($"{file}: not an OpenPGP public key file ({e.Message})", e);
        }
    }

    private static List<PgpSignature> ReadSignatures(string signatureFile)
    {
        try
        {
            using var stream = File.OpenRead(signatureFile);
            var factory = new PgpObjectFactory(PgpUtilities.GetDecoderStream(stream));
            var result = new List<PgpSignature>();
            for (var o = factory.NextPgpObject(); o is not null; o = factory.NextPgpObject())
            {
                if (o is PgpCompressedData compressed)
                {
                    factory = new PgpObjectFactory(compressed.GetDataStream());
                    continue;
                }

                if (o is PgpSignatureList list)
                {
                    result.AddRange(Enumerable.Range(0, list.Count).Select(i => list[i]));
                }
            }

            return result.Count == 0 ? throw new SignatureException($"{signatureFile}: no OpenPGP signature found") : result;
        }
        catch (Exception e) when (e is PgpException or IOException)
        {
            throw new SignatureException($"{signatureFile}: not an OpenPGP signature ({e.Message})", e);
        }
    }

    private static PgpKeyInfo Info(PgpPublicKey key, string file) =>
        new(Convert.ToHexString(key.GetFingerprint()), key.GetUserIds().FirstOrDefault() ?? string.Empty, file);
}

/// <summary>A primary key: its fingerprint (upper-case hex, no spaces), first user ID, and the file it came from.</summary>
public sealed record PgpKeyInfo(string Fingerprint, string UserId, string File);

public sealed class SignatureException : Exception
{
    public SignatureException()
    {
    }

    public SignatureException(string message)
        : base(message)
    {
    }

    public SignatureException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
