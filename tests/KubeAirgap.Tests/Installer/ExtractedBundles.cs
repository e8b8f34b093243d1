using KubeAirgap.Bundle.Manifests;
using KubeAirgap.Bundle;
using KubeAirgap.Tests.Bundle;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Installer;

/// <summary>
/// A 3-node synthetic bundle set, signed with an Ed25519 key made here by openssl, built once and extracted with
/// tar; tests copy a node's tree to tamper with it. <see cref="PubKey"/> is the signing key's public half, which
/// the installer gets from outside the tarball (--pubkey).
/// </summary>
public sealed class ExtractedBundles : IDisposable
{
    public ExtractedBundles()
    {
        Fixture = new SyntheticBundle();
        Keys = new TempDirectory("kag-keys");
        (SigningKey, var pub) = NewKey(Keys, "signing");
        var result = Fixture.Build(signer: BundleSigner.Load(SigningKey));
        Extracted = new TempDirectory("kag-extracted");
        foreach (var t in result.Tarballs)
        {
            Cmd.Run("tar", "-xzf", t.Path, "-C", Extracted.Path).EnsureSuccess("tar xzf");
        }

        File.Copy(pub, PubKeyBeside(BundleDir("n01")));
    }

    public SyntheticBundle Fixture { get; }

    public TempDirectory Keys { get; }

    public string SigningKey { get; }

    /// <summary>The public key the tests hand to --pubkey, as an operator would: next to the extracted bundle directories.</summary>
    public string PubKey => PubKeyBeside(BundleDir("n01"));

    public static string PubKeyBeside(string bundleDir) => Path.Combine(Path.GetDirectoryName(bundleDir)!, "bundle-signing.pub");

    /// <summary>A fresh Ed25519 key pair (PEM) made by openssl: (private, public).</summary>
    public static (string Key, string Pub) NewKey(TempDirectory dir, string name)
    {
        var key = dir.Combine(name + ".key");
        var pub = dir.Combine(name + ".pub");
        Cmd.Run("openssl", "genpkey", "-algorithm", "ed25519", "-out", key).EnsureSuccess("genpkey");
        Cmd.Run("openssl", "pkey", "-in", key, "-pubout", "-out", pub).EnsureSuccess("pubout");
        return (key, pub);
    }

    /// <summary>Signs a bundle directory's SHA256SUMS with <paramref name="key"/> (replacing SHA256SUMS.sig).</summary>
    public static void Sign(string bundleDir, string key) =>
        Cmd.Run("openssl", "pkeyutl", "-sign", "-rawin", "-inkey", key, "-in", Path.Combine(bundleDir, "SHA256SUMS"), "-out", Path.Combine(bundleDir, "SHA256SUMS.sig")).EnsureSuccess("sign");

    public TempDirectory Extracted { get; }

    public IReadOnlyList<string> Nodes => ["n01", "n02", "n03"];

    public string BundleDir(string node) => Extracted.Combine($"t-{node}");

    /// <summary>The shared payload directory next to the node directories (all three nodes have the same roles).</summary>
    public string PayloadDir => Extracted.Combine(SyntheticBundle.FullPayloadTop);

    /// <summary>A private copy of a node's extracted bundle and of the payload directory its bin and images link to, to modify.</summary>
    public string CopyOf(string node, TempDirectory into)
    {
        var dest = into.Combine($"t-{node}");
        Cmd.Run("cp", "-a", BundleDir(node), dest).EnsureSuccess("cp -a");
        Cmd.Run("cp", "-a", PayloadDir, into.Combine(SyntheticBundle.FullPayloadTop)).EnsureSuccess("cp -a payload");
        File.Copy(PubKey, PubKeyBeside(dest), overwrite: true);
        return dest;
    }

    /// <summary>Runs install.sh --pubkey (the key beside the bundle) with its log (KA_LOG) outside the root, so that the root holds only what install put there.</summary>
    public static Cmd.Result Install(string bundleDir, TargetRoot root, params string[] args) =>
        InstallWithoutKey(bundleDir, root, [.. args, "--pubkey", PubKeyBeside(bundleDir)]);

    /// <summary>Runs install.sh with only the given arguments (and --root), so that the key comes from the node's pin or nowhere.</summary>
    public static Cmd.Result InstallWithoutKey(string bundleDir, TargetRoot root, string[] args, IDictionary<string, string>? environment = null)
    {
        var env = new Dictionary<string, string>(environment ?? new Dictionary<string, string>()) { ["KA_LOG"] = root.Log };
        return Cmd.Run("bash", [Path.Combine(bundleDir, "install.sh"), .. args, "--root", root.Path], bundleDir, env);
    }

    /// <summary>Runs install.sh with --pubkey (the key beside the bundle) and the given arguments, on the real root.</summary>
    public static Cmd.Result Run(string bundleDir, params string[] args) =>
        Cmd.Run("bash", [Path.Combine(bundleDir, "install.sh"), .. args, "--pubkey", PubKeyBeside(bundleDir)], bundleDir);

    /// <summary>Every path under <paramref name="root"/> with type, mode, owner, link target and content hash.</summary>
    public static string TreeOf(string root) =>
        Cmd.Bash("find . -printf '%p %y %m %U:%G %l\\n' | LC_ALL=C sort; find . -type f -exec sha256sum {} + | LC_ALL=C sort", root)
            .EnsureSuccess("tree listing").Stdout;

    public void Dispose()
    {
        Extracted.Dispose();
        Fixture.Dispose();
        Keys.Dispose();
    }
}

/// <summary>A temp directory to install into (<see cref="Path"/>), with the install log next to it, both removed on dispose.</summary>
public sealed class TargetRoot : IDisposable
{
    private readonly TempDirectory _work = new("kag-root");

    public TargetRoot() => Directory.CreateDirectory(Path);

    public string Path => _work.Combine("root");

    public string Log => _work.Combine("install.log");

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Write(string relative, string text)
    {
        var full = Combine(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }

    public void Dispose() => _work.Dispose();
}
