using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.Sig;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace KubeAirgap.Fetch.Pgp;

/// <summary>
/// Whether a key may have made a signature, as GnuPG decides it (RFC 4880 §5.2, §11.1): the primary key and the
/// signing subkey are not revoked (by a revocation signature that verifies) and were not expired when the signature
/// was made; a subkey carries a binding signature by its primary that verifies, allows signing (key flag 0x02) and
/// holds the subkey's back-signature; the primary's self-signature, when it has key flags, allows signing for a
/// signature the primary made itself. Signatures hashed with SHA-1, MD5 or RIPEMD-160 are refused (SHA-1 collisions
/// are practical since 2020; GnuPG 2.4 and Sequoia refuse it for data signatures too).
/// </summary>
public static class PgpKeyPolicy
{
    private static readonly HashSet<HashAlgorithmTag> WeakHashes = [HashAlgorithmTag.Sha1, HashAlgorithmTag.MD5, HashAlgorithmTag.RipeMD160, HashAlgorithmTag.MD2];

    /// <summary>Why <paramref name="signer"/> (the primary key or one of its subkeys) may not have made <paramref name="signature"/>; null when it may.</summary>
    public static string? Refusal(PgpSignature signature, PgpPublicKey primary, PgpPublicKey signer)
    {
        if (WeakHashes.Contains(signature.HashAlgorithm))
        {
            return $"it is hashed with {signature.HashAlgorithm}, which is not collision resistant (SHA-256 or better is required)";
        }

        var made = signature.CreationTime;
        if (made < signer.CreationTime)
        {
            return $"it was made ({made:u}) before the key existed ({signer.CreationTime:u})";
        }

        if (Revocation(primary, primary, PgpSignature.KeyRevocation) is { } primaryRevoked)
        {
            return $"primary key {Fingerprint(primary)} is revoked ({primaryRevoked:u})";
        }

        if (ExpiredAt(primary, made) is { } primaryExpiry)
        {
            return $"primary key {Fingerprint(primary)} expired {primaryExpiry:u}, before the signature was made ({made:u})";
        }

        if (signer.IsMasterKey)
        {
            var flags = SelfSignatures(primary).Select(s => s.GetHashedSubPackets()).Where(p => p?.HasSubpacket(SignatureSubpacketTag.KeyFlags) == true).ToList();
            return flags.Count > 0 && !flags.Any(p => (p.GetKeyFlags() & KeyFlags.SignData) != 0)
                ? $"primary key {Fingerprint(primary)} is not allowed to sign data (its key flags lack 'sign')"
                : null;
        }

        if (Revocation(primary, signer, PgpSignature.SubkeyRevocation) is { } subkeyRevoked)
        {
            return $"signing subkey {Fingerprint(signer)} is revoked ({subkeyRevoked:u})";
        }

        var binding = signer.GetSignaturesOfType(PgpSignature.SubkeyBinding).Cast<PgpSignature>()
            .Where(b => b.KeyId == primary.KeyId && VerifiesBinding(b, primary, signer))
            .OrderByDescending(b => b.CreationTime).FirstOrDefault();
        if (binding is null)
        {
            return $"subkey {Fingerprint(signer)} has no valid binding signature by its primary key {Fingerprint(primary)}";
        }

        var hashed = binding.GetHashedSubPackets();
        if (hashed is null || !hashed.HasSubpacket(SignatureSubpacketTag.KeyFlags) || (hashed.GetKeyFlags() & KeyFlags.SignData) == 0)
        {
            return $"subkey {Fingerprint(signer)} is not bound for signing (its binding's key flags lack 'sign')";
        }

        if (!HasBackSignature(hashed, binding.GetUnhashedSubPackets(), primary, signer))
        {
            return $"signing subkey {Fingerprint(signer)} has no valid back-signature (primary key binding), so it may belong to someone else";
        }

        var expiry = hashed.GetKeyExpirationTime();
        if (expiry > 0 && made > signer.CreationTime.AddSeconds(expiry))
        {
            return $"signing subkey {Fingerprint(signer)} expired {signer.CreationTime.AddSeconds(expiry):u}, before the signature was made ({made:u})";
        }

        return null;
    }

    /// <summary>When the newest valid self-signature says the primary key expires, if that is before <paramref name="at"/>.</summary>
    private static DateTime? ExpiredAt(PgpPublicKey primary, DateTime at)
    {
        var latest = SelfSignatures(primary).OrderByDescending(s => s.CreationTime).FirstOrDefault(s => s.CreationTime <= at)
            ?? SelfSignatures(primary).OrderBy(s => s.CreationTime).FirstOrDefault();
        var seconds = latest?.GetHashedSubPackets()?.GetKeyExpirationTime() ?? 0;
        if (seconds <= 0)
        {
            return null;
        }

        var expiry = primary.CreationTime.AddSeconds(seconds);
        return at > expiry ? expiry : null;
    }

    /// <summary>The primary's user-ID certifications and direct-key signatures made by itself that verify.</summary>
    private static IEnumerable<PgpSignature> SelfSignatures(PgpPublicKey primary)
    {
        foreach (var userId in primary.GetUserIds())
        {
            foreach (var sig in primary.GetSignaturesForId(userId) ?? [])
            {
                if (sig.KeyId == primary.KeyId && Verifies(() => { sig.InitVerify(primary); return sig.VerifyCertification(userId, primary); }))
                {
                    yield return sig;
                }
            }
        }

        foreach (var sig in primary.GetSignaturesOfType(PgpSignature.DirectKey).Cast<PgpSignature>())
        {
            if (sig.KeyId == primary.KeyId && Verifies(() => { sig.InitVerify(primary); return sig.VerifyCertification(primary); }))
            {
                yield return sig;
            }
        }
    }

    private static DateTime? Revocation(PgpPublicKey primary, PgpPublicKey key, int type)
    {
        foreach (var sig in key.GetSignaturesOfType(type).Cast<PgpSignature>())
        {
            var valid = sig.KeyId == primary.KeyId && Verifies(() =>
            {
                sig.InitVerify(primary);
                return key.IsMasterKey ? sig.VerifyCertification(key) : sig.VerifyCertification(primary, key);
            });
            if (valid)
            {
                return sig.CreationTime;
            }
        }

        return null;
    }

    private static bool VerifiesBinding(PgpSignature binding, PgpPublicKey primary, PgpPublicKey subkey) =>
        Verifies(() =>
        {
            binding.InitVerify(primary);
            return binding.VerifyCertification(primary, subkey);
        });

    private static bool HasBackSignature(PgpSignatureSubpacketVector hashed, PgpSignatureSubpacketVector? unhashed, PgpPublicKey primary, PgpPublicKey subkey)
    {
        var embedded = All(hashed.GetEmbeddedSignatures()).Concat(unhashed is null ? [] : All(unhashed.GetEmbeddedSignatures()));
        return embedded.Any(back => back.SignatureType == PgpSignature.PrimaryKeyBinding && Verifies(() =>
        {
            back.InitVerify(subkey);
            return back.VerifyCertification(primary, subkey);
        }));
    }

    private static IEnumerable<PgpSignature> All(PgpSignatureList list) => Enumerable.Range(0, list.Count).Select(i => list[i]);

    private static bool Verifies(Func<bool> check)
    {
        try
        {
            return check();
        }
        catch (Exception e) when (e is PgpException or InvalidOperationException or ArgumentException)
        {
            return false;
        }
    }

    private static string Fingerprint(PgpPublicKey key) => Convert.ToHexString(key.GetFingerprint());
}
