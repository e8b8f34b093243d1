using KubeAirgap.Fetch.Pgp;
using KubeAirgap.Tests.Fetch.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Fetch;

public sealed class PgpVerifierTests : IDisposable
{
    private readonly TempDirectory _temp = new("kag-pgp");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Should_Accept_A_Good_Signature_And_Name_The_Signer()
    {
        // Given
        var key = new PgpTestKey("Release Signer <release@example.org>");
        var data = _temp.Write("nginx-1.30.4.tar.gz", "the source");
        var signature = key.Sign(data, data + ".asc");
        var other = new PgpTestKey("Someone Else <else@example.org>").WritePublicKey(_temp.Combine("else.key"));
        var trusted = key.WritePublicKey(_temp.Combine("signer.key"));

        // When
        var signer = PgpVerifier.Verify(data, signature, [other, trusted]);

        // Then
        Assert.Equal(key.Fingerprint, signer.Fingerprint);
        Assert.Equal("Release Signer <release@example.org>", signer.UserId);
    }

    [Fact]
    public void Should_Refuse_A_Signature_Of_Other_Bytes()
    {
        // Given
        var key = new PgpTestKey("Release Signer <release@example.org>");
        var data = _temp.Write("nginx.tar.gz", "the source");
        var signature = key.Sign(data, data + ".asc");
        File.AppendAllText(data, " with a backdoor");

        // When
        var e = Assert.Throws<SignatureException>(() => PgpVerifier.Verify(data, signature, [key.WritePublicKey(_temp.Combine("k.key"))]));

        // Then
        Assert.Contains("BAD signature", e.Message, StringComparison.Ordinal);
        Assert.Contains(key.Fingerprint, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_Refuse_A_Signature_By_An_Untrusted_Key()
    {
        // Given
        var attacker = new PgpTestKey("Attacker <a@example.org>");
        var data = _temp.Write("nginx.tar.gz", "the source");
        var signature = attacker.Sign(data, data + ".asc");
        var trusted = new PgpTestKey("Release Signer <r@example.org>").WritePublicKey(_temp.Combine("k.key"));

        // When
        var e = Assert.Throws<SignatureException>(() => PgpVerifier.Verify(data, signature, [trusted]));

        // Then
        Assert.Contains("not among the trusted keys", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_Refuse_A_Missing_Or_Garbage_Signature()
    {
        var data = _temp.Write("nginx.tar.gz", "the source");
        var key = new PgpTestKey("R <r@example.org>").WritePublicKey(_temp.Combine("k.key"));

        Assert.Contains("is missing", Assert.Throws<SignatureException>(() => PgpVerifier.Verify(data, data + ".asc", [key])).Message, StringComparison.Ordinal);
        var garbage = _temp.Write("garbage.asc", "-----BEGIN PGP SIGNATURE-----\n\nnot base64 at all\n-----END PGP SIGNATURE-----\n");
        Assert.Throws<SignatureException>(() => PgpVerifier.Verify(data, garbage, [key]));
    }

    [Theory]
    [InlineData("arut.key", "43387825DDB1BB97EC36BA5D007C8D7C15D87369")]
    [InlineData("pluknet.key", "D6786CE303D9A9022998DC6CC8464D549AF75C0A")]
    [InlineData("thresh.key", "13C82A63B603576156E30A4EA0EA981B66B0D967")]
    public void Should_Load_The_Real_Nginx_Developer_Keys(string file, string fingerprint)
    {
        var keys = PgpVerifier.LoadKeys(Repo.File("pgp", file));

        Assert.Equal([fingerprint], keys.Select(k => k.Fingerprint));
    }

    [Fact]
    public void Should_Load_The_Three_Nginx_Package_Signing_Keys()
    {
        var keys = PgpVerifier.LoadKeys(Repo.File("pgp", "nginx_signing.key"));

        Assert.Equal(
            ["573BFD6B3D8FBC641079A6ABABF5BD827BD9BF62", "8540A6F18833A80E9C1653A42FD21310B49F6B46", "9E9BE90EACBCDE69FE9B204CBCDCD8A38D88A2B3"],
            keys.Select(k => k.Fingerprint).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Should_Find_Every_Key_The_Real_Pins_Name()
    {
        var pins = KubeAirgap.Pins.PinsLoader.LoadValid(Repo.File("pins.yaml"));
        var keys = pins.Components.SelectMany(c => c.Artifacts.Values).Where(a => a.Signature is not null).SelectMany(a => a.Signature!.Keys).Distinct().ToList();

        Assert.NotEmpty(keys);
        Assert.All(keys, k => Assert.NotEmpty(PgpVerifier.LoadKeys(Repo.File(k))));
    }
}
