using KubeAirgap.Fetch.Pgp;
using KubeAirgap.Tests.Fetch.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Fetch;

/// <summary>Finding 6: revocation, expiry, subkey binding and hash strength, checked against keys and signatures made by real gpg.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PgpKeyPolicyTests : IDisposable
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.UtcNow.AddDays(-10);
    private readonly GpgHome _gpg = new();
    private readonly TempDirectory _temp = new("kag-pgp-policy");

    public void Dispose()
    {
        _gpg.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void Finding6_A_Subkey_Signature_Is_Refused_When_The_Primary_Key_Is_Revoked()
    {
        // Given a certify-only primary with a signing subkey (the usual release-manager setup), and a signature by the subkey
        var primary = _gpg.GenerateKey("Release <release@example.invalid>", "cert");
        var subkey = _gpg.AddSubkey(primary);
        var data = _temp.Write("nginx.tar.gz", "the source");
        var signature = _gpg.Sign(subkey + "!", data);
        var beforeRevocation = PgpVerifier.Verify(data, signature, [_gpg.Export(primary, _temp.Combine("good.key"))]);

        // When the primary is revoked
        _gpg.RevokePrimary(primary);
        var e = Assert.Throws<SignatureException>(() => PgpVerifier.Verify(data, signature, [_gpg.Export(primary, _temp.Combine("revoked.key"))]));

        // Then: the subkey signature (binding and back-signature valid) was good before, and is refused now
        Assert.Equal(primary, beforeRevocation.Fingerprint);
        Assert.Contains($"primary key {primary} is revoked", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Finding6_A_Signature_Made_After_The_Primary_Key_Expired_Is_Refused()
    {
        // Given a primary made 10 days ago with a signing subkey that never expires; a subkey signature made 8 days
        // ago; then the primary's expiry set to 1.5 days after its creation
        var primary = _gpg.GenerateKey("Expired <expired@example.invalid>", "cert", "5d", T0);
        var subkey = _gpg.AddSubkey(primary, "sign", "never", T0);
        var data = _temp.Write("nginx.tar.gz", "the source");
        var signature = _gpg.Sign(subkey + "!", data, at: T0.AddDays(2));
        _gpg.SetExpiry(primary, 86400, T0.AddHours(12));

        // When
        var e = Assert.Throws<SignatureException>(() => PgpVerifier.Verify(data, signature, [_gpg.Export(primary, _temp.Combine("k.key"))]));

        // Then
        Assert.Contains($"primary key {primary} expired", e.Message, StringComparison.Ordinal);
        Assert.Contains("before the signature was made", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Finding6_A_Signature_By_A_Subkey_That_Had_Expired_Is_Refused()
    {
        // Given a signing subkey whose expiry was later set to before the signature
        var primary = _gpg.GenerateKey("Sub <sub@example.invalid>", "cert", "never", T0);
        var subkey = _gpg.AddSubkey(primary, "sign", "5d", T0);
        var data = _temp.Write("nginx.tar.gz", "the source");
        var signature = _gpg.Sign(subkey + "!", data, at: T0.AddDays(2));
        _gpg.SetExpiry(primary, 86400, T0.AddHours(12), subkey);

        // When
        var e = Assert.Throws<SignatureException>(() => PgpVerifier.Verify(data, signature, [_gpg.Export(primary, _temp.Combine("k.key"))]));

        // Then
        Assert.Contains($"signing subkey {subkey} expired", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Finding6_A_Sha1_Signature_Is_Refused()
    {
        // Given a valid key and a signature it made with SHA-1
        var primary = _gpg.GenerateKey("Old Habits <sha1@example.invalid>");
        var data = _temp.Write("nginx.tar.gz", "the source");
        var key = _gpg.Export(primary, _temp.Combine("k.key"));
        var sha256 = PgpVerifier.Verify(data, _gpg.Sign(primary, data, "SHA256"), [key]);

        // When
        var e = Assert.Throws<SignatureException>(() => PgpVerifier.Verify(data, _gpg.Sign(primary, data, "SHA1"), [key]));

        // Then
        Assert.Equal(primary, sha256.Fingerprint);
        Assert.Contains("hashed with Sha1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Finding6_No_Expired_Or_Revoked_Key_Is_Shipped_In_Pgp()
    {
        // When: gpg's own view of every shipped key (validity field of pub and sub records)
        var records = Directory.GetFiles(Repo.File("pgp"), "*.key").SelectMany(file =>
            Cmd.Run("gpg", ["--batch", "--with-colons", "--show-keys", file], environment: new Dictionary<string, string> { ["GNUPGHOME"] = _gpg.Path })
                .EnsureSuccess("gpg --show-keys").Stdout.Split('\n')
                .Where(l => l.StartsWith("pub:", StringComparison.Ordinal) || l.StartsWith("sub:", StringComparison.Ordinal))
                .Select(l => (File: Path.GetFileName(file), Fields: l.Split(':')))).ToList();

        // Then: none expired ("e") or revoked ("r"), and none expires within the next 30 days unnoticed
        Assert.NotEmpty(records);
        Assert.All(records, r => Assert.True(r.Fields[1] is not ("e" or "r"), $"{r.File}: key {r.Fields[4]} has validity '{r.Fields[1]}'"));
        Assert.All(records.Where(r => r.Fields[6].Length > 0), r =>
            Assert.True(DateTimeOffset.FromUnixTimeSeconds(long.Parse(r.Fields[6], System.Globalization.CultureInfo.InvariantCulture)) > DateTimeOffset.UtcNow.AddDays(30),
                $"{r.File}: key {r.Fields[4]} expires {r.Fields[6]}"));
    }
}
