using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Fetch.Fixtures;

/// <summary>
/// Real GnuPG in a throw-away GNUPGHOME: makes keys, subkeys, signatures (at a faked time when asked), expiry changes
/// and revocations the way a release manager's gpg does, so the verifier is tested against gpg's own packets.
/// The agent it starts is stopped (for this home only) on dispose.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class GpgHome : IDisposable
{
    private readonly TempDirectory _dir = new("kag-gnupg");

    public GpgHome()
    {
        File.SetUnixFileMode(_dir.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public string Path => _dir.Path;

    /// <summary>A new key; returns its primary fingerprint. <paramref name="usage"/>: sign, cert, "sign,cert"...</summary>
    public string GenerateKey(string userId, string usage = "sign", string expire = "never", DateTimeOffset? at = null)
    {
        Gpg(at, "--passphrase", string.Empty, "--quick-gen-key", userId, "rsa2048", usage, expire);
        return Fingerprints(userId)[0];
    }

    /// <summary>Adds a subkey to <paramref name="fingerprint"/>; returns the subkey's fingerprint.</summary>
    public string AddSubkey(string fingerprint, string usage = "sign", string expire = "never", DateTimeOffset? at = null)
    {
        var before = Fingerprints(fingerprint);
        Gpg(at, "--passphrase", string.Empty, "--quick-add-key", fingerprint, "rsa2048", usage, expire);
        return Fingerprints(fingerprint).Except(before).Single();
    }

    /// <summary>Sets the expiry of the key (or of <paramref name="subkey"/>) to <paramref name="seconds"/> after <paramref name="at"/>.</summary>
    public void SetExpiry(string fingerprint, long seconds, DateTimeOffset at, string? subkey = null)
    {
        var args = new List<string> { "--passphrase", string.Empty, "--quick-set-expire", fingerprint, $"seconds={seconds}" };
        if (subkey is not null)
        {
            args.Add(subkey);
        }

        Gpg(at, [.. args]);
    }

    /// <summary>Imports the revocation certificate gpg wrote when it made the key: the key is revoked.</summary>
    public void RevokePrimary(string fingerprint)
    {
        var certificate = File.ReadAllText(System.IO.Path.Combine(Path, "openpgp-revocs.d", fingerprint + ".rev"))
            .Replace(":-----BEGIN PGP PUBLIC KEY BLOCK-----", "-----BEGIN PGP PUBLIC KEY BLOCK-----", StringComparison.Ordinal);
        var file = _dir.Write("revoke.asc", certificate);
        Gpg(null, "--import", file);
    }

    /// <summary>An armored detached signature of <paramref name="dataFile"/> by <paramref name="signer"/> (a fingerprint, "!" forces that exact key).</summary>
    public string Sign(string signer, string dataFile, string digest = "SHA256", DateTimeOffset? at = null)
    {
        var signature = dataFile + ".asc";
        File.Delete(signature);
        Gpg(at, "--local-user", signer, "--digest-algo", digest, "--armor", "--detach-sign", "--output", signature, dataFile);
        return signature;
    }

    /// <summary>Exports the public key, armored, like nginx.org/keys/*.key.</summary>
    public string Export(string fingerprint, string file)
    {
        var result = Run(null, "--armor", "--export", fingerprint);
        File.WriteAllText(file, result.Stdout);
        return file;
    }

    public void Dispose()
    {
        Cmd.Run("gpgconf", ["--kill", "gpg-agent"], environment: Environment());
        _dir.Dispose();
    }

    private List<string> Fingerprints(string key) =>
        Run(null, "--with-colons", "--list-keys", key).Stdout.Split('\n')
            .Where(l => l.StartsWith("fpr:", StringComparison.Ordinal)).Select(l => l.Split(':')[9]).ToList();

    private void Gpg(DateTimeOffset? at, params string[] args) => Run(at, args).EnsureSuccess("gpg " + string.Join(' ', args));

    private Cmd.Result Run(DateTimeOffset? at, params string[] args)
    {
        var all = new List<string> { "--batch", "--quiet", "--pinentry-mode", "loopback", "--no-tty" };
        if (at is { } time)
        {
            all.Add("--faked-system-time");
            all.Add(time.ToUnixTimeSeconds() + "!");
        }

        return Cmd.Run("gpg", [.. all, .. args], environment: Environment());
    }

    private Dictionary<string, string> Environment() => new() { ["GNUPGHOME"] = Path };
}
