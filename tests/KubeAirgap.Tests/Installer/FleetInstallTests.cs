using KubeAirgap.Bundle.Manifests;
using KubeAirgap.Bundle.Tar;
using KubeAirgap.Bundle;
using KubeAirgap.Content;
using KubeAirgap.Tests.Bundle;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Installer;

/// <summary>
/// Issue 17 item 1 on the node: a fleet layout node bundle takes its payload tarball from beside it or from
/// --payload, checks it against the pin in its signed lib/layout.env before extracting anything, and installs the
/// same tree as the self-contained bundle; a swapped, missing or re-pinned payload is refused with nothing changed.
/// </summary>
public sealed class FleetInstallTests(FleetInstallTests.Bundles bundles) : IClassFixture<FleetInstallTests.Bundles>
{
    /// <summary>One synthetic cluster built in both layouts, signed by an openssl key; the self-contained tarballs
    /// extracted into <see cref="Self"/>, the fleet node tarballs extracted into <see cref="Fleet"/> with the payload
    /// tarball beside them (as the operator or the playbook puts them).</summary>
    public sealed class Bundles : IDisposable
    {
        public Bundles()
        {
            Fixture = new SyntheticBundle();
            Keys = new TempDirectory("kag-fleet-keys");
            var (key, pub) = ExtractedBundles.NewKey(Keys, "signing");
            var signer = BundleSigner.Load(key);
            var self = BundleBuilder.Build(Fixture.Request("self", signer));
            var fleet = BundleBuilder.Build(Fixture.Request("fleet", signer) with { Layout = BundleLayout.Fleet });
            Payload = fleet.Payloads.Single();
            Self = new TempDirectory("kag-fleet-self");
            Fleet = new TempDirectory("kag-fleet-nodes");
            foreach (var t in self.Tarballs)
            {
                Cmd.Run("tar", "-xzf", t.Path, "-C", Self.Path).EnsureSuccess("tar xzf");
            }

            foreach (var t in fleet.Tarballs)
            {
                Cmd.Run("tar", "-xzf", t.Path, "-C", Fleet.Path).EnsureSuccess("tar xzf");
            }

            PayloadTarball = Fixture.Dir.Combine("fleet", Payload.Bundle);
            File.Copy(PayloadTarball, Fleet.Combine(Payload.Bundle));
            File.Copy(pub, Self.Combine("bundle-signing.pub"));
            File.Copy(pub, Fleet.Combine("bundle-signing.pub"));
        }

        public SyntheticBundle Fixture { get; }

        public TempDirectory Keys { get; }

        public PayloadArchive Payload { get; }

        /// <summary>The payload tarball as Bundle wrote it.</summary>
        public string PayloadTarball { get; }

        public TempDirectory Self { get; }

        public TempDirectory Fleet { get; }

        /// <summary>A copy of a fleet node's extracted bundle (and the key) in <paramref name="into"/>, without the payload tarball.</summary>
        public string NodeOnly(string node, TempDirectory into)
        {
            var dest = into.Combine($"t-{node}");
            Cmd.Run("cp", "-a", Fleet.Combine($"t-{node}"), dest).EnsureSuccess("cp -a");
            File.Copy(Fleet.Combine("bundle-signing.pub"), into.Combine("bundle-signing.pub"), overwrite: true);
            return dest;
        }

        public void Dispose()
        {
            Self.Dispose();
            Fleet.Dispose();
            Fixture.Dispose();
            Keys.Dispose();
        }
    }

    /// <summary>The installer's own copy of the bundle's signed lists and layout.env carries the pin: the only files that differ.</summary>
    private static string WithoutPinnedFiles(string tree) =>
        string.Join('\n', tree.Split('\n').Where(l => !System.Text.RegularExpressions.Regex.IsMatch(l, @"/installer/(SHA256SUMS|SHA256SUMS\.sig|lib/layout\.env)( |$)")));

    [Fact]
    public void Installing_from_the_fleet_layout_gives_the_self_contained_tree_with_the_payload_beside_or_given_by_payload()
    {
        using var selfRoot = new TargetRoot();
        using var fleetRoot = new TargetRoot();
        using var givenRoot = new TargetRoot();
        using var elsewhere = new TempDirectory("kag-fleet-elsewhere");

        var self = ExtractedBundles.Install(bundles.Self.Combine("t-n01"), selfRoot);
        Assert.True(self.ExitCode == 0, self.Output);
        var fleet = ExtractedBundles.Install(bundles.Fleet.Combine("t-n01"), fleetRoot);
        Assert.True(fleet.ExitCode == 0, fleet.Output);
        Assert.Contains($"payload tarball {bundles.Fleet.Combine(bundles.Payload.Bundle)}: sha256 {bundles.Payload.Sha256} matches the signed pin", fleet.Stdout, StringComparison.Ordinal);

        var node = bundles.NodeOnly("n01", elsewhere);
        var moved = elsewhere.Combine("media", "payload.tgz");
        Directory.CreateDirectory(Path.GetDirectoryName(moved)!);
        File.Copy(bundles.PayloadTarball, moved);
        var given = ExtractedBundles.Install(node, givenRoot, "install", "--payload", moved);
        Assert.True(given.ExitCode == 0, given.Output);

        var selfTree = ExtractedBundles.TreeOf(selfRoot.Path);
        var fleetTree = ExtractedBundles.TreeOf(fleetRoot.Path);
        Assert.Contains("/bin/kubelet", selfTree, StringComparison.Ordinal);
        Assert.Contains("images.oci.tar", selfTree, StringComparison.Ordinal);
        Assert.Equal(WithoutPinnedFiles(selfTree), WithoutPinnedFiles(fleetTree));
        Assert.Equal(fleetTree, ExtractedBundles.TreeOf(givenRoot.Path));

        // ... and the installer copies differ only by the pin.
        var selfEnv = Directory.GetFiles(selfRoot.Path, "layout.env", SearchOption.AllDirectories).Single();
        var fleetEnv = Directory.GetFiles(fleetRoot.Path, "layout.env", SearchOption.AllDirectories).Single();
        var diff = File.ReadAllLines(selfEnv).Except(File.ReadAllLines(fleetEnv)).ToList();
        Assert.Equal(["KA_PAYLOAD_TARBALL=''", "KA_PAYLOAD_DIR=''", "KA_PAYLOAD_SIZE=''", "KA_PAYLOAD_SHA256=''"], diff);
    }

    [Fact]
    public void A_swapped_payload_tarball_is_refused_before_anything_is_extracted_naming_file_and_both_digests()
    {
        using var work = new TempDirectory("kag-fleet-swapped");
        using var root = new TargetRoot();
        var node = bundles.NodeOnly("n02", work);
        var beside = work.Combine(bundles.Payload.Bundle);
        // Another valid tarball with the same files: gzip'd at another level, so only its digest differs.
        Cmd.Bash($"gzip -dc '{bundles.PayloadTarball}' | gzip -1 > '{beside}'").EnsureSuccess("swap");
        var actual = Sha256Hex.OfFile(beside);
        var size = new FileInfo(beside).Length;

        var run = ExtractedBundles.Install(node, root);
        Assert.True(run.ExitCode == 4, run.Output);
        Assert.Contains(
            $"payload tarball {beside}: sha256 {actual} ({size} bytes), expected {bundles.Payload.Sha256} ({bundles.Payload.Size} bytes, {bundles.Payload.Bundle}) as the signed bundle pins it; refusing it before extracting anything, nothing was changed",
            run.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(root.Path));
        Assert.DoesNotContain("extracted into", run.Stdout, StringComparison.Ordinal);

        // the same file given as --payload is refused the same way
        var given = ExtractedBundles.Install(node, root, "install", "--payload", beside);
        Assert.True(given.ExitCode == 4, given.Output);
        Assert.Contains($"sha256 {actual} ({size} bytes), expected {bundles.Payload.Sha256}", given.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(root.Path));
    }

    [Fact]
    public void A_missing_payload_tarball_is_refused_with_nothing_changed()
    {
        using var work = new TempDirectory("kag-fleet-missing");
        using var root = new TargetRoot();
        var node = bundles.NodeOnly("n03", work);

        var run = ExtractedBundles.Install(node, root);
        Assert.True(run.ExitCode == 4, run.Output);
        Assert.Contains(
            $"payload tarball {work.Combine(bundles.Payload.Bundle)} not found: this bundle (fleet layout) needs {bundles.Payload.Bundle} (sha256 {bundles.Payload.Sha256}) beside t-n03/, or --payload FILE; nothing was changed",
            run.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(root.Path));

        var absent = ExtractedBundles.Install(node, root, "install", "--payload", work.Combine("absent.tar.gz"));
        Assert.True(absent.ExitCode == 2, absent.Output);
        Assert.Contains($"--payload {work.Combine("absent.tar.gz")}: no such file; nothing was changed", absent.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(root.Path));
    }

    [Fact]
    public void A_pin_rewritten_to_match_another_payload_breaks_the_signed_chain_and_is_refused()
    {
        using var work = new TempDirectory("kag-fleet-repin");
        using var root = new TargetRoot();
        var node = bundles.NodeOnly("n01", work);
        var beside = work.Combine(bundles.Payload.Bundle);
        Cmd.Bash($"gzip -dc '{bundles.PayloadTarball}' | gzip -1 > '{beside}'").EnsureSuccess("swap");
        var env = Path.Combine(node, "lib/layout.env");
        var original = Sha256Hex.OfFile(env);
        File.WriteAllText(env, File.ReadAllText(env)
            .Replace(bundles.Payload.Sha256, Sha256Hex.OfFile(beside), StringComparison.Ordinal)
            .Replace($"KA_PAYLOAD_SIZE='{bundles.Payload.Size}'", $"KA_PAYLOAD_SIZE='{new FileInfo(beside).Length}'", StringComparison.Ordinal));

        var run = ExtractedBundles.Install(node, root);
        Assert.True(run.ExitCode == 4, run.Output);
        Assert.Contains($"[ERROR] lib/layout.env: sha256 {Sha256Hex.OfFile(env)}, expected {original}\n", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("bundle verification failed: ", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("payload tarball", run.Stdout, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(root.Path));
    }

    [Fact]
    public void A_self_contained_bundle_ignores_payload_with_a_warning()
    {
        using var root = new TargetRoot();
        var run = ExtractedBundles.Install(bundles.Self.Combine("t-n02"), root, "install", "--payload", bundles.PayloadTarball);
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains($"--payload {bundles.PayloadTarball}: ignored, this bundle carries its payload (self-contained layout)", run.Stderr, StringComparison.Ordinal);
    }
}
