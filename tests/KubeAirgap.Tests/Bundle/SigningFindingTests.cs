using KubeAirgap.Bundle.Manifests;
using KubeAirgap.Bundle;
using KubeAirgap.Content;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Bundle;

/// <summary>
/// Issue 15 finding 3, build side: every bundle set is signed (a key is created in state/ when none is configured),
/// the public key and a standalone verify-bundle.sh lie beside the tarballs, and that script, with real openssl and
/// sha256sum, accepts a good tarball and refuses a changed one, a re-listed SHA256SUMS and another key's signature.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SigningFindingTests
{
    [Fact]
    public void Finding03_the_first_bundle_creates_a_0600_signing_key_in_state_and_reuses_it_later()
    {
        using var dir = new TempDirectory("kag-signkey");
        var path = dir.Combine("state", "prod", BundleSigner.StateKeyName);

        var (first, created) = BundleSigner.LoadOrCreate(path);
        var (second, createdAgain) = BundleSigner.LoadOrCreate(path);

        Assert.True(created);
        Assert.False(createdAgain);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(OutputDirectory.Private, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
        Assert.Equal(first.PublicKeyPem(), second.PublicKeyPem());

        // openssl reads the key Bundle wrote, and derives the same public key.
        var pub = Cmd.Run("openssl", "pkey", "-in", path, "-pubout").EnsureSuccess("openssl pkey").Stdout;
        Assert.Equal(first.PublicKeyPem(), pub);
        var der = Cmd.Bash($"openssl pkey -in '{path}' -pubout -outform DER | sha256sum | cut -d' ' -f1").EnsureSuccess("fingerprint").Stdout.Trim();
        Assert.Equal(der, first.Fingerprint());
    }

    [Fact]
    public void Finding03_every_bundle_set_is_signed_with_the_public_key_and_verify_script_beside_the_tarballs()
    {
        using var fixture = new SyntheticBundle(nodes: 1);
        var tarball = fixture.Tarball(fixture.Build(), "n01");
        var output = fixture.Dir.Combine("out");
        var pub = Path.Combine(output, BundleRequest.PublicKeyName(fixture.Spec));

        Assert.Equal(fixture.Signer.PublicKeyPem(), File.ReadAllText(pub));
        Cmd.Run("openssl", "pkeyutl", "-verify", "-rawin", "-pubin", "-inkey", pub,
            "-in", Path.Combine(output, "SHA256SUMS"), "-sigfile", Path.Combine(output, "SHA256SUMS.sig")).EnsureSuccess("outer signature");
        var x = fixture.Dir.Combine("x");
        Directory.CreateDirectory(x);
        Cmd.Run("tar", "-xzf", tarball, "-C", x).EnsureSuccess("tar -x");
        Cmd.Run("openssl", "pkeyutl", "-verify", "-rawin", "-pubin", "-inkey", pub,
            "-in", Path.Combine(x, "t-n01", "SHA256SUMS"), "-sigfile", Path.Combine(x, "t-n01", "SHA256SUMS.sig")).EnsureSuccess("inner signature");
        Assert.Equal(OutputDirectory.PublicExecutable, File.GetUnixFileMode(Path.Combine(output, BundleRequest.VerifyScriptName)));
        Assert.Equal(OutputDirectory.Public, File.GetUnixFileMode(pub));
        Assert.DoesNotContain(BundleRequest.VerifyScriptName, Cmd.Run("tar", "-tzf", tarball).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Finding03_verify_bundle_sh_is_shellcheck_clean()
    {
        var result = Cmd.Run("shellcheck", "-x", Repo.File("src", "KubeAirgap", "Bundle", "Verification", "verify-bundle.sh"));
        Assert.True(result.ExitCode == 0, result.Output);
    }

    [Fact]
    public void Finding03_verify_bundle_sh_accepts_a_good_tarball_and_refuses_tampering_before_extraction()
    {
        using var fixture = new SyntheticBundle(nodes: 1);
        var tarball = fixture.Tarball(fixture.Build(), "n01");
        var output = fixture.Dir.Combine("out");
        var script = Path.Combine(output, BundleRequest.VerifyScriptName);

        var good = Cmd.Run(script, tarball);
        Assert.True(good.ExitCode == 0, good.Output);
        Assert.Contains($"public key {Path.Combine(output, BundleRequest.PublicKeyName(fixture.Spec))} (sha256 of its DER: {fixture.Signer.Fingerprint()})", good.Stderr, StringComparison.Ordinal);
        Assert.Contains("signature good", good.Stderr, StringComparison.Ordinal);

        // One flipped byte in the tarball.
        var bytes = File.ReadAllBytes(tarball);
        bytes[^100] ^= 0xff;
        File.WriteAllBytes(tarball, bytes);
        var changed = Cmd.Run(script, tarball);
        Assert.NotEqual(0, changed.ExitCode);
        Assert.Contains($"{Path.GetFileName(tarball)}: sha256 {Sha256Hex.OfFile(tarball)}", changed.Stderr, StringComparison.Ordinal);

        // SHA256SUMS re-listed with the changed tarball's sum: the signature no longer holds.
        var sums = Path.Combine(output, "SHA256SUMS");
        var listed = File.ReadAllLines(sums).Single(l => l.EndsWith(Path.GetFileName(tarball), StringComparison.Ordinal))[..64];
        File.WriteAllText(sums, File.ReadAllText(sums).Replace(listed, Sha256Hex.OfFile(tarball), StringComparison.Ordinal));
        var relisted = Cmd.Run(script, tarball);
        Assert.NotEqual(0, relisted.ExitCode);
        Assert.Contains("signature does not verify", relisted.Stderr, StringComparison.Ordinal);

        // Signed by another key than the one the operator trusts.
        var other = fixture.Dir.Combine("other.pem");
        Cmd.Run("openssl", "genpkey", "-algorithm", "ed25519", "-out", other).EnsureSuccess("genpkey");
        Cmd.Run("openssl", "pkeyutl", "-sign", "-rawin", "-inkey", other, "-in", sums, "-out", sums + ".sig").EnsureSuccess("sign");
        var foreign = Cmd.Run(script, "--pubkey", Path.Combine(output, BundleRequest.PublicKeyName(fixture.Spec)), tarball);
        Assert.NotEqual(0, foreign.ExitCode);
        Assert.Contains("signature does not verify", foreign.Stderr, StringComparison.Ordinal);
    }
}
