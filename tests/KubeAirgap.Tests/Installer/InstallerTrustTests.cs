using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Installer;

/// <summary>
/// Issue 15 points 3, 4 and 11 on the node: a key from outside the tarball (--pubkey, then the pin the first install
/// writes), unsigned and wrongly signed bundles refused before anything changes, no check-then-use race, and a
/// bundle of another cluster refused.
/// </summary>
public sealed class InstallerTrustTests(ExtractedBundles bundles) : IClassFixture<ExtractedBundles>
{
    private const string Pin = "etc/kube-airgap/trusted.pub";

    [Fact]
    public void An_unsigned_bundle_is_refused_before_anything_changes_unless_insecure_unsigned_which_is_logged()
    {
        using var work = new TempDirectory("kag-unsigned");
        using var root = new TargetRoot();
        var bundle = bundles.CopyOf("n01", work);
        File.Delete(Path.Combine(bundle, "SHA256SUMS.sig"));

        var run = ExtractedBundles.Install(bundle, root);
        Assert.True(run.ExitCode == 4, run.Output);
        Assert.Contains("bundle is not signed: SHA256SUMS.sig is missing", run.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(root.Path));

        var insecure = ExtractedBundles.Install(bundle, root, "install", "--insecure-unsigned");
        Assert.True(insecure.ExitCode == 0, insecure.Output);
        Assert.Contains("INSECURE: bundle is not signed", File.ReadAllText(root.Log), StringComparison.Ordinal);
        Assert.False(File.Exists(root.Combine(Pin)), "an unsigned install pins no key");
        Assert.Contains("uninstall --insecure-unsigned", File.ReadAllText(root.Combine("opt/kube-airgap/uninstall.sh")), StringComparison.Ordinal);
    }

    [Fact]
    public void A_bundle_signed_by_another_key_and_one_without_any_key_are_refused_before_anything_changes()
    {
        using var work = new TempDirectory("kag-wrongkey");
        using var root = new TargetRoot();
        var bundle = bundles.CopyOf("n02", work);
        var (other, _) = ExtractedBundles.NewKey(work, "other");
        ExtractedBundles.Sign(bundle, other);

        var wrong = ExtractedBundles.Install(bundle, root);
        Assert.True(wrong.ExitCode == 4, wrong.Output);
        Assert.Contains("SHA256SUMS: signature does not verify with", wrong.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(root.Path));

        var nokey = ExtractedBundles.InstallWithoutKey(bundles.BundleDir("n02"), root, ["install"]);
        Assert.True(nokey.ExitCode == 4, nokey.Output);
        Assert.Contains("no trusted signing key: pass --pubkey FILE", nokey.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(root.Path));

        var notakey = ExtractedBundles.InstallWithoutKey(bundles.BundleDir("n02"), root, ["install", "--pubkey", Path.Combine(bundles.BundleDir("n02"), "SHA256SUMS")]);
        Assert.True(notakey.ExitCode == 4, notakey.Output);
        Assert.Contains("not an Ed25519 public key", notakey.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(root.Path));
    }

    [Fact]
    public void The_first_install_pins_the_key_and_later_bundles_must_be_signed_by_it()
    {
        using var work = new TempDirectory("kag-pin");
        using var root = new TargetRoot();
        var first = ExtractedBundles.Install(bundles.BundleDir("n03"), root);
        Assert.True(first.ExitCode == 0, first.Output);
        Assert.Equal(File.ReadAllText(bundles.PubKey), File.ReadAllText(root.Combine(Pin)));
        Assert.Contains("pinned the bundle signing key as /etc/kube-airgap/trusted.pub", first.Stdout, StringComparison.Ordinal);
        var identity = File.ReadAllText(root.Combine("var/lib/kube-airgap/identity.env"));
        var keySha = Cmd.Bash($"openssl pkey -pubin -in '{bundles.PubKey}' -outform DER | sha256sum | cut -d' ' -f1").Stdout.Trim();
        Assert.Contains($"KA_SIGNING_KEY_SHA256='{keySha}'", identity, StringComparison.Ordinal);

        // No --pubkey: the pin is used.
        var again = ExtractedBundles.InstallWithoutKey(bundles.BundleDir("n03"), root, ["install"]);
        Assert.True(again.ExitCode == 0, again.Output);
        Assert.Contains("signature good (/etc/kube-airgap/trusted.pub", again.Stdout, StringComparison.Ordinal);

        // A bundle signed by another key: refused with the pin, and with its own key given as --pubkey.
        var bundle = bundles.CopyOf("n03", work);
        var (other, otherPub) = ExtractedBundles.NewKey(work, "other");
        ExtractedBundles.Sign(bundle, other);
        var tree = ExtractedBundles.TreeOf(root.Path);

        var pinned = ExtractedBundles.InstallWithoutKey(bundle, root, ["install"]);
        Assert.True(pinned.ExitCode == 4, pinned.Output);
        Assert.Contains("signature does not verify with /etc/kube-airgap/trusted.pub", pinned.Stderr, StringComparison.Ordinal);
        var given = ExtractedBundles.InstallWithoutKey(bundle, root, ["install", "--pubkey", otherPub]);
        Assert.True(given.ExitCode == 4, given.Output);
        Assert.Contains($"--pubkey {otherPub} is not the key pinned on this node", given.Stderr, StringComparison.Ordinal);
        Assert.Equal(tree, ExtractedBundles.TreeOf(root.Path));

        // --replace-cluster: the operator says this node now belongs to the other key's cluster.
        var replaced = ExtractedBundles.InstallWithoutKey(bundle, root, ["install", "--pubkey", otherPub, "--replace-cluster"]);
        Assert.True(replaced.ExitCode == 0, replaced.Output);
        Assert.Equal(File.ReadAllText(otherPub), File.ReadAllText(root.Combine(Pin)));
    }

    [Fact]
    public void A_file_swapped_in_the_extracted_dir_after_verification_is_not_installed()
    {
        using var work = new TempDirectory("kag-race");
        using var root = new TargetRoot();
        var bundle = bundles.CopyOf("n01", work);
        var key = Path.Combine(bundle, "pki/kubelet.key");
        var original = File.ReadAllText(key);
        var originalSha = Cmd.Bash($"sha256sum < '{key}' | cut -d' ' -f1").Stdout.Trim();
        work.Write("evil.key", "-----BEGIN PRIVATE KEY-----\nattacker's\n-----END PRIVATE KEY-----\n");
        // The attacker's timing, made exact: right after the installer has hashed the genuine kubelet.key, the
        // file in the extracted directory is replaced (the directory is the user's, so a user can do this).
        work.Write("fakebin/sha256sum",
            "#!/bin/bash\nif [ $# -gt 0 ]; then exec /usr/bin/sha256sum \"$@\"; fi\n" +
            "out=$(/usr/bin/sha256sum)\necho \"$out\"\n" +
            "if [ \"${out%% *}\" = \"$SWAP_SHA\" ] && [ ! -e \"$SWAP_DONE\" ]; then cp \"$SWAP_FROM\" \"$SWAP_TO\"; touch \"$SWAP_DONE\"; fi\n");
        Cmd.Run("chmod", "+x", work.Combine("fakebin/sha256sum")).EnsureSuccess("chmod");
        var env = new Dictionary<string, string>
        {
            ["PATH"] = work.Combine("fakebin") + ":" + Environment.GetEnvironmentVariable("PATH"),
            ["SWAP_SHA"] = originalSha, ["SWAP_FROM"] = work.Combine("evil.key"), ["SWAP_TO"] = key, ["SWAP_DONE"] = work.Combine("swapped"),
        };

        var run = ExtractedBundles.InstallWithoutKey(bundle, root, ["install", "--pubkey", bundles.PubKey], env);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.True(File.Exists(work.Combine("swapped")), "the swap happened after the genuine file was hashed");
        Assert.Contains("attacker's", File.ReadAllText(key), StringComparison.Ordinal);
        Assert.Equal(original, File.ReadAllText(root.Combine("etc/kubernetes/pki/kubelet.key")));
    }

    [Fact]
    public void A_bundle_of_another_cluster_is_refused_unless_replace_cluster()
    {
        using var work = new TempDirectory("kag-cluster");
        using var root = new TargetRoot();
        Assert.Equal(0, ExtractedBundles.Install(bundles.BundleDir("n01"), root).ExitCode);
        var ca = File.ReadAllText(root.Combine("var/lib/kube-airgap/identity.env"));
        var bundle = bundles.CopyOf("n01", work);
        // Same signing key, another CA: what Bundle makes after state/ was lost and Pki made a new CA.
        var (_, newCaCert) = NewCa(work);
        Rewrite(bundle, "pki/ca.crt", File.ReadAllBytes(newCaCert), bundles.SigningKey);
        var tree = ExtractedBundles.TreeOf(root.Path);

        var refused = ExtractedBundles.Install(bundle, root);
        Assert.True(refused.ExitCode == 4, refused.Output);
        Assert.Contains("this node belongs to cluster t (CA sha256 ", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("pass --replace-cluster", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal(tree, ExtractedBundles.TreeOf(root.Path));

        var replaced = ExtractedBundles.Install(bundle, root, "install", "--replace-cluster");
        Assert.True(replaced.ExitCode == 0, replaced.Output);
        Assert.Equal(File.ReadAllBytes(newCaCert), File.ReadAllBytes(root.Combine("etc/kubernetes/pki/ca.crt")));
        Assert.NotEqual(ca, File.ReadAllText(root.Combine("var/lib/kube-airgap/identity.env")));
    }

    [Fact]
    public void The_node_keeps_an_uninstaller_that_works_without_the_tarball()
    {
        using var work = new TempDirectory("kag-keep");
        using var root = new TargetRoot();
        var original = ExtractedBundles.TreeOf(root.Path);
        var bundle = bundles.CopyOf("n02", work);
        Assert.Equal(0, ExtractedBundles.Install(bundle, root).ExitCode);
        foreach (var f in new[] { "install.sh", "lib/uninstall.sh", "lib/reset.sh", "lib/layout.env", "lib/files.tsv", "SHA256SUMS", "SHA256SUMS.sig" })
        {
            Assert.True(File.Exists(root.Combine("opt/kube-airgap/installer", f)), f);
        }

        Assert.False(Directory.Exists(root.Combine("opt/kube-airgap/installer/bin")), "the payload is not kept");
        work.Dispose();

        var run = Cmd.Run("bash", [root.Combine("opt/kube-airgap/uninstall.sh"), "--yes", "--purge", "--root", root.Path], environment: new Dictionary<string, string> { ["KA_LOG"] = root.Log });
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("signature good (/etc/kube-airgap/trusted.pub", run.Stdout, StringComparison.Ordinal);
        Assert.Equal(original, ExtractedBundles.TreeOf(root.Path));
    }

    private static (string Key, string Cert) NewCa(TempDirectory dir)
    {
        var key = dir.Combine("newca.key");
        var cert = dir.Combine("newca.crt");
        Cmd.Run("openssl", "req", "-x509", "-newkey", "ed25519", "-nodes", "-keyout", key, "-out", cert, "-subj", "/CN=kubernetes", "-days", "1").EnsureSuccess("new CA");
        return (key, cert);
    }

    /// <summary>Replaces a bundle file, updates its hash in files.tsv and SHA256SUMS, and signs again: a bundle as Bundle would make it.</summary>
    private static void Rewrite(string bundle, string relative, byte[] content, string signingKey)
    {
        var path = Path.Combine(bundle, relative);
        var oldSha = KubeAirgap.Content.Sha256Hex.OfFile(path);
        File.WriteAllBytes(path, content);
        var newSha = KubeAirgap.Content.Sha256Hex.OfFile(path);
        var files = Path.Combine(bundle, "lib/files.tsv");
        var oldFiles = KubeAirgap.Content.Sha256Hex.OfFile(files);
        File.WriteAllText(files, File.ReadAllText(files).Replace(oldSha, newSha, StringComparison.Ordinal));
        var sums = Path.Combine(bundle, "SHA256SUMS");
        File.WriteAllText(sums, File.ReadAllText(sums)
            .Replace($"{oldSha}  {relative}\n", $"{newSha}  {relative}\n", StringComparison.Ordinal)
            .Replace($"{oldFiles}  lib/files.tsv\n", $"{KubeAirgap.Content.Sha256Hex.OfFile(files)}  lib/files.tsv\n", StringComparison.Ordinal));
        ExtractedBundles.Sign(bundle, signingKey);
    }
}
