using KubeAirgap.Bundle.Manifests;
using KubeAirgap.Bundle.Verification;
using KubeAirgap.Bundle;
using KubeAirgap.Content;
using KubeAirgap.Layout;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Bundle;

/// <summary>
/// Issue 17 item 1: the fleet layout writes one payload tarball per payload key and per node a small tarball whose
/// signed lib/layout.env pins it; GNU tar, busybox and Python read both; extracted side by side they give the
/// self-contained tree; SHA256SUMS, its signature, the SBOM, Plan, VerifyBundle and verify-bundle.sh cover both.
/// </summary>
public sealed class FleetLayoutTests(FleetLayoutTests.Built built) : IClassFixture<FleetLayoutTests.Built>
{
    /// <summary>One synthetic cluster (3 full nodes and a worker: two payload keys) built in both layouts with the same key.</summary>
    public sealed class Built : IDisposable
    {
        public Built()
        {
            Fixture = new SyntheticBundle(nodes: 4);
            SelfContained = BundleBuilder.Build(Fixture.Request("self"));
            Fleet = BundleBuilder.Build(Fixture.Request("fleet") with { Layout = BundleLayout.Fleet });
        }

        public SyntheticBundle Fixture { get; }

        public BundleBuilder.Result SelfContained { get; }

        public BundleBuilder.Result Fleet { get; }

        public string SelfDir => Fixture.Dir.Combine("self");

        public string FleetDir => Fixture.Dir.Combine("fleet");

        public void Dispose() => Fixture.Dispose();
    }

    private SyntheticBundle Fixture => built.Fixture;

    [Fact]
    public void Fleet_writes_one_payload_tarball_per_payload_key_and_node_tarballs_that_hold_only_their_own_files()
    {
        var keys = PayloadKey.AllOf(Fixture.Spec);
        Assert.Equal(2, keys.Count);
        Assert.Equal(
            keys.Select(k => BundleRequest.PayloadTarballName(Fixture.Spec, k)).Order(StringComparer.Ordinal),
            built.Fleet.Payloads.Select(p => p.Bundle));
        Assert.Contains($"{SyntheticBundle.FullPayloadTop}.tar.gz", built.Fleet.Payloads.Select(p => p.Bundle));
        Assert.Empty(built.SelfContained.Payloads);

        foreach (var payload in built.Fleet.Payloads)
        {
            var path = Path.Combine(built.FleetDir, payload.Bundle);
            Assert.Equal(Sha256Hex.OfFile(path), payload.Sha256);
            Assert.Equal(new FileInfo(path).Length, payload.Size);
            var names = BundleBuildTests.ReadTar(path).Select(e => e.Name).ToList();
            Assert.All(names, n => Assert.True(n.TrimEnd('/') == payload.Top || n.StartsWith(payload.Top + "/", StringComparison.Ordinal), n));
            Assert.Contains($"{payload.Top}/images/images.oci.tar", names);
        }

        foreach (var node in built.Fleet.Tarballs)
        {
            var entries = BundleBuildTests.ReadTar(node.Path).Select(e => e.Name).ToList();
            Assert.DoesNotContain(entries, n => n.Contains("-payload-", StringComparison.Ordinal));
            var self = built.SelfContained.Tarballs.Single(t => Path.GetFileName(t.Path) == Path.GetFileName(node.Path));
            Assert.True(node.Size * 4 < self.Size, $"{Path.GetFileName(node.Path)}: fleet {node.Size} bytes, self-contained {self.Size}");
            Assert.Equal(0, node.PayloadMemberLength);
        }

        var manifest = JsonFile.Read<BundleSetManifest>(Path.Combine(built.FleetDir, BundleRequest.ManifestName));
        Assert.Equal("fleet", manifest.Layout);
        Assert.Equal(built.Fleet.Payloads, manifest.Payloads);
        Assert.Equal("self-contained", JsonFile.Read<BundleSetManifest>(Path.Combine(built.SelfDir, BundleRequest.ManifestName)).Layout);
    }

    [Fact]
    public void Each_node_bundle_pins_its_payload_tarball_in_its_signed_layout_env_and_manifest()
    {
        using var work = new TempDirectory("kag-fleet-pin");
        foreach (var node in Fixture.Spec.Nodes)
        {
            var archive = built.Fleet.Payloads.Single(p => p.Key == PayloadKey.Of(node).Name);
            var tarball = built.Fleet.Tarballs.Single(t => Path.GetFileName(t.Path) == BundleRequest.TarballName(Fixture.Spec, node)).Path;
            Cmd.Run("tar", "-xzf", tarball, "-C", work.Path).EnsureSuccess("tar xzf");
            var dir = work.Combine($"t-{node.Name}");
            var env = File.ReadAllText(Path.Combine(dir, "lib/layout.env"));
            Assert.Contains($"KA_PAYLOAD_TARBALL='{archive.Bundle}'", env, StringComparison.Ordinal);
            Assert.Contains($"KA_PAYLOAD_DIR='{archive.Top}'", env, StringComparison.Ordinal);
            Assert.Contains($"KA_PAYLOAD_SIZE='{archive.Size}'", env, StringComparison.Ordinal);
            Assert.Contains($"KA_PAYLOAD_SHA256='{archive.Sha256}'", env, StringComparison.Ordinal);
            Assert.Equal(archive, JsonFile.Read<NodeManifest>(Path.Combine(dir, "manifest.json")).Payload);

            // the chain: the signature covers SHA256SUMS, which covers lib/layout.env and manifest.json
            File.WriteAllText(work.Combine("signing.pub"), Fixture.Signer.PublicKeyPem());
            Cmd.Run("openssl", "pkeyutl", "-verify", "-rawin", "-pubin", "-inkey", work.Combine("signing.pub"), "-in", Path.Combine(dir, "SHA256SUMS"), "-sigfile", Path.Combine(dir, "SHA256SUMS.sig"))
                .EnsureSuccess("inner signature");
            var sums = File.ReadAllText(Path.Combine(dir, "SHA256SUMS"));
            Assert.Contains($"{Sha256Hex.OfFile(Path.Combine(dir, "lib/layout.env"))}  lib/layout.env\n", sums, StringComparison.Ordinal);
            Assert.Contains($"{Sha256Hex.OfFile(Path.Combine(dir, "manifest.json"))}  manifest.json\n", sums, StringComparison.Ordinal);
        }

        using var self = new TempDirectory("kag-self-pin");
        Cmd.Run("tar", "-xzf", Fixture.Tarball(built.SelfContained, "n01"), "-C", self.Path).EnsureSuccess("tar xzf");
        Assert.Contains("KA_PAYLOAD_TARBALL=''", File.ReadAllText(self.Combine("t-n01/lib/layout.env")), StringComparison.Ordinal);
        Assert.Null(JsonFile.Read<NodeManifest>(self.Combine("t-n01/manifest.json")).Payload);
    }

    [Fact]
    public void The_outer_sha256sums_lists_every_tarball_of_both_layouts_and_its_signature_verifies()
    {
        foreach (var (dir, result) in new[] { (built.SelfDir, built.SelfContained), (built.FleetDir, built.Fleet) })
        {
            var sums = Sha256Sums.Parse(File.ReadAllText(Path.Combine(dir, "SHA256SUMS")), dir);
            var tarballs = Directory.GetFiles(dir, "*.tar.gz").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(tarballs, sums.Keys.Where(k => k.EndsWith(".tar.gz", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList());
            Assert.Equal(result.Tarballs.Count + result.Payloads.Count, tarballs.Count);
            foreach (var t in tarballs)
            {
                Assert.Equal(Sha256Hex.OfFile(Path.Combine(dir, t)), sums[t]);
            }

            Assert.Equal(Sha256Hex.OfFile(Path.Combine(dir, BundleRequest.SbomName)), sums[BundleRequest.SbomName]);
            Cmd.Run("openssl", "pkeyutl", "-verify", "-rawin", "-pubin", "-inkey", Path.Combine(dir, "t-bundle-signing.pub"), "-in", Path.Combine(dir, "SHA256SUMS"), "-sigfile", Path.Combine(dir, "SHA256SUMS.sig"))
                .EnsureSuccess($"{dir}: SHA256SUMS.sig");
        }

        // The SBOM describes the components, which the layout does not change.
        Assert.Equal(File.ReadAllBytes(Path.Combine(built.SelfDir, BundleRequest.SbomName)), File.ReadAllBytes(Path.Combine(built.FleetDir, BundleRequest.SbomName)));
    }

    [Fact]
    public void Fleet_tarballs_extract_with_gnu_tar_busybox_and_python_to_the_self_contained_tree()
    {
        var node = Fixture.Spec.Nodes[1];
        var payload = Path.Combine(built.FleetDir, $"{SyntheticBundle.FullPayloadTop}.tar.gz");
        var nodeTarball = Fixture.Tarball(built.Fleet, node.Name);
        using var self = new TempDirectory("kag-fleet-self");
        using var gnu = new TempDirectory("kag-fleet-gnu");
        using var bb = new TempDirectory("kag-fleet-bb");
        using var py = new TempDirectory("kag-fleet-py");
        Cmd.Run("tar", "-xzf", Fixture.Tarball(built.SelfContained, node.Name), "-C", self.Path).EnsureSuccess("tar xzf self-contained");
        foreach (var tarball in new[] { payload, nodeTarball })
        {
            Cmd.Run("gzip", "-t", tarball).EnsureSuccess($"gzip -t {tarball}");
            Cmd.Run("tar", "-xzf", tarball, "-C", gnu.Path).EnsureSuccess($"tar xzf {tarball}");
            Cmd.Run("busybox", "tar", "-xzf", tarball, "-C", bb.Path).EnsureSuccess($"busybox tar xzf {tarball}");
            Cmd.Run("python3", "-c", "import sys, tarfile\ntarfile.open(sys.argv[1], 'r:gz').extractall(sys.argv[2], filter='data')", tarball, py.Path)
                .EnsureSuccess($"python tarfile {tarball}");
        }

        // Paths, types, modes and link targets; then every file's content seen through the node's links. Only the
        // generated files that carry the pin differ from the self-contained bundle's.
        const string differ = "t-n02/(lib/layout.env|manifest.json|SHA256SUMS|SHA256SUMS.sig)$";
        var listing = $"find . -printf '%p %y %m %l\\n' | LC_ALL=C sort; find -L . -type f -exec sha256sum {{}} + | grep -Ev '{differ}' | LC_ALL=C sort";
        var expected = Cmd.Bash(listing, self.Path).EnsureSuccess("listing").Stdout;
        Assert.Contains($"./t-n02/bin l 777 ../{SyntheticBundle.FullPayloadTop}/bin", expected, StringComparison.Ordinal);
        Assert.Contains("./t-n02/bin/cni/bridge\n", expected, StringComparison.Ordinal);
        Assert.Equal(expected, Cmd.Bash(listing, gnu.Path).Stdout);
        Assert.Equal(expected, Cmd.Bash(listing, bb.Path).Stdout);
        var content = $"find . -printf '%p %y %l\\n' | LC_ALL=C sort; find -L . -type f -exec sha256sum {{}} + | grep -Ev '{differ}' | LC_ALL=C sort";
        Assert.Equal(Cmd.Bash(content, self.Path).Stdout, Cmd.Bash(content, py.Path).Stdout);
    }

    [Fact]
    public void Both_layouts_verify_and_verify_bundle_sh_checks_every_listed_tarball()
    {
        foreach (var dir in new[] { built.SelfDir, built.FleetDir })
        {
            var reports = BundleVerifier.Verify(dir, Fixture.SyntheticPins);
            Assert.Equal(Fixture.Spec.Nodes.Count, reports.Count);
            Assert.All(reports, r => Assert.True(r.Problems.Count == 0, $"{dir} {r.Node}: {string.Join("; ", r.Problems)}"));
            Assert.All(reports, r => Assert.True(r.Files > 40 && r.Images > 0, $"{r.Node}: {r.Files} files, {r.Images} images"));

            var script = Cmd.Run("bash", Path.Combine(dir, BundleRequest.VerifyScriptName));
            Assert.True(script.ExitCode == 0, script.Output);
            foreach (var t in Directory.GetFiles(dir, "*.tar.gz"))
            {
                Assert.Contains($"{Path.GetFileName(t)}: sha256 {Sha256Hex.OfFile(t)} matches the signed", script.Stderr, StringComparison.Ordinal);
            }
        }

        Assert.Equal(
            BundleVerifier.Verify(built.SelfDir).Select(r => (r.Node, r.Files, r.Images, r.Secrets)),
            BundleVerifier.Verify(built.FleetDir).Select(r => (r.Node, r.Files, r.Images, r.Secrets)));
    }

    [Fact]
    public void VerifyBundle_and_verify_bundle_sh_refuse_a_swapped_payload_tarball_and_a_missing_one()
    {
        using var work = new TempDirectory("kag-fleet-swap");
        var dir = work.Combine("fleet");
        Cmd.Run("cp", "-a", built.FleetDir, dir).EnsureSuccess("cp -a");
        var name = $"{SyntheticBundle.FullPayloadTop}.tar.gz";
        var payload = Path.Combine(dir, name);
        var pinned = Sha256Hex.OfFile(payload);
        // Another valid tarball with the same files (compressed at another level): only the pin tells them apart.
        Cmd.Bash($"gzip -dc '{payload}' | gzip -1 > swapped && mv swapped '{payload}'", work.Path).EnsureSuccess("swap");
        var actual = Sha256Hex.OfFile(payload);
        Assert.NotEqual(pinned, actual);

        var reports = BundleVerifier.Verify(dir);
        foreach (var node in new[] { "n01", "n02", "n03" })
        {
            Assert.Contains($"{name}: sha256 {actual}, SHA256SUMS says {pinned}", reports.Single(r => r.Node == node).Problems);
        }

        Assert.Empty(reports.Single(r => r.Node == "n04").Problems);
        var script = Cmd.Run("bash", Path.Combine(dir, BundleRequest.VerifyScriptName));
        Assert.True(script.ExitCode == 1, script.Output);
        Assert.Contains($"{name}: sha256 {actual}, {dir}/SHA256SUMS says {pinned}", script.Stderr, StringComparison.Ordinal);

        File.Delete(payload);
        Assert.Contains($"{name}: payload tarball missing", BundleVerifier.Verify(dir).Single(r => r.Node == "n01").Problems);
        var missing = Cmd.Run("bash", Path.Combine(dir, BundleRequest.VerifyScriptName));
        Assert.True(missing.ExitCode == 1, missing.Output);
        Assert.Contains($"{name} not found", missing.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_names_the_payload_tarballs_and_what_each_node_tarball_pins()
    {
        var fleet = BundlePlan.Make(Fixture.Spec, Fixture.SyntheticPins, Fixture.PayloadDir, Fixture.NodeTree, BundleLayout.Fleet);
        var lines = BundlePlan.Render(fleet, null).ToList();
        Assert.Contains(lines, l => l.StartsWith($"{SyntheticBundle.FullPayloadTop}.tar.gz: payload of 3 node(s) (n01, n02, n03)", StringComparison.Ordinal));
        var n01 = lines.Single(l => l.StartsWith("t-n01-amd64.tar.gz: ", StringComparison.Ordinal));
        Assert.EndsWith($", pins {SyntheticBundle.FullPayloadTop}.tar.gz", n01, StringComparison.Ordinal);
        Assert.Equal(BundleRequest.TarballName(Fixture.Spec, Fixture.Spec.Nodes[0]), fleet[0].Bundle);

        var self = BundlePlan.Render(BundlePlan.Make(Fixture.Spec, Fixture.SyntheticPins, Fixture.PayloadDir, Fixture.NodeTree), null).ToList();
        Assert.DoesNotContain(self, l => l.Contains("payload of", StringComparison.Ordinal) || l.Contains(", pins ", StringComparison.Ordinal));
        // Every file is planned once: each payload's under its payload tarball, each node's own files under its tarball.
        static bool Shared(BundlePlan.PlannedFile f) => f.Path.StartsWith("bin/", StringComparison.Ordinal) || f.Path.StartsWith("images/", StringComparison.Ordinal);
        var expected = fleet.GroupBy(n => n.Payload).Sum(g => g.First().Files.Count(Shared)) + fleet.Sum(n => n.Files.Count(f => !Shared(f)));
        Assert.Equal(expected, lines.Count(l => l.StartsWith("  ", StringComparison.Ordinal) && !l.StartsWith("  upstream ", StringComparison.Ordinal) && !l.StartsWith("  image ", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_rebuild_keeps_the_payload_tarballs_and_switching_back_removes_them()
    {
        using var fixture = new SyntheticBundle(nodes: 1);
        var request = fixture.Request("out") with { Layout = BundleLayout.Fleet };
        var first = BundleBuilder.Build(request);
        var payload = Path.Combine(request.OutputDir, first.Payloads.Single().Bundle);
        var before = Cmd.Run("stat", "-c", "%i %Y %s", payload).EnsureSuccess("stat").Stdout;

        var again = BundleBuilder.Build(request);
        Assert.Equal(before, Cmd.Run("stat", "-c", "%i %Y %s", payload).EnsureSuccess("stat").Stdout);
        Assert.Equal(first.Payloads, again.Payloads);
        Assert.Equal(0, again.BytesWritten);

        BundleBuilder.Build(request with { Layout = BundleLayout.SelfContained });
        Assert.False(File.Exists(payload), "a self-contained build removes the fleet layout's payload tarballs");
        Assert.Empty(BundleVerifier.Verify(request.OutputDir).Single().Problems);
    }

    [Theory]
    [InlineData("self-contained", BundleLayout.SelfContained)]
    [InlineData("fleet", BundleLayout.Fleet)]
    public void The_layout_setting_is_parsed(string value, BundleLayout expected) =>
        Assert.Equal(expected, BundleLayouts.Parse(value, "[Bundle] Layout"));

    [Fact]
    public void An_unknown_layout_is_an_error_naming_the_setting_and_the_choices()
    {
        var e = Assert.Throws<InvalidDataException>(() => BundleLayouts.Parse("fleat", "[Bundle] Layout (cake.config, --bundle_layout)"));
        Assert.Equal("[Bundle] Layout (cake.config, --bundle_layout): layout 'fleat' is not known; expected self-contained or fleet", e.Message);
    }
}
