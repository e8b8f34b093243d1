using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using KubeAirgap.Bundle.Manifests;
using KubeAirgap.Bundle;
using KubeAirgap.Content;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Bundle;

public sealed class BundleBuildTests
{
    [Fact]
    public void Same_inputs_give_byte_identical_tarballs_and_manifests()
    {
        using var fixture = new SyntheticBundle();
        var first = fixture.Build("a");
        var second = fixture.Build("b");

        Assert.Equal(3, first.Tarballs.Count);
        Assert.Equal(first.Tarballs.Select(t => t.Sha256), second.Tarballs.Select(t => t.Sha256));
        foreach (var name in new[] { "SHA256SUMS", BundleRequest.ManifestName, BundleRequest.SbomName })
        {
            Assert.Equal(File.ReadAllBytes(fixture.Dir.Combine("a", name)), File.ReadAllBytes(fixture.Dir.Combine("b", name)));
        }
    }

    [Fact]
    public void Changing_one_nodes_own_file_changes_only_that_nodes_tarball()
    {
        using var fixture = new SyntheticBundle();
        var before = fixture.Build("a");
        fixture.ChangeNodeFile("n02");
        var after = fixture.Build("b", payloadCache: fixture.Dir.Combine("a-payloads"));

        Assert.Equal(0, after.PayloadsCompressed);
        Assert.Equal(before.Tarballs[0].Sha256, after.Tarballs[0].Sha256);
        Assert.NotEqual(before.Tarballs[1].Sha256, after.Tarballs[1].Sha256);
        Assert.Equal(before.Tarballs[2].Sha256, after.Tarballs[2].Sha256);
    }

    [Fact]
    public void Changing_an_etcd_members_ip_reaches_every_node_that_names_it()
    {
        // every node's lib/layout.env lists the etcd peers (the quorum wait names the missing ones)
        using var fixture = new SyntheticBundle();
        var before = fixture.Build("a");
        fixture.ChangeIp("n02", "127.0.1.22");
        var after = fixture.Build("b", payloadCache: fixture.Dir.Combine("a-payloads"));

        Assert.Equal(0, after.PayloadsCompressed);
        Assert.All(before.Tarballs.Zip(after.Tarballs), p => Assert.NotEqual(p.First.Sha256, p.Second.Sha256));
    }

    [Fact]
    public void A_rebuild_keeps_unchanged_tarballs_and_rewrites_only_the_changed_one()
    {
        using var fixture = new SyntheticBundle();
        var first = fixture.Build();
        var again = fixture.Build();
        Assert.Equal(3, again.TarballsKept);
        Assert.Equal(0, again.BytesWritten);
        Assert.Equal(first.Tarballs.Select(t => t.Sha256), again.Tarballs.Select(t => t.Sha256));

        fixture.ChangeNodeFile("n03");
        var changed = fixture.Build();
        Assert.Equal(2, changed.TarballsKept);
        Assert.NotEqual(first.Tarballs[2].Sha256, changed.Tarballs[2].Sha256);

        // A damaged tarball is not kept, even though its inputs did not change.
        File.WriteAllText(changed.Tarballs[0].Path, "damaged");
        var repaired = fixture.Build();
        Assert.Equal(2, repaired.TarballsKept);
        Assert.Equal(first.Tarballs[0].Sha256, Sha256Hex.OfFile(repaired.Tarballs[0].Path));
    }

    [Fact]
    public void Gzip_header_has_no_timestamp_and_no_name()
    {
        using var fixture = new SyntheticBundle(nodes: 1);
        var result = fixture.Build();
        var head = File.ReadAllBytes(result.Tarballs[0].Path).AsSpan(0, 10).ToArray();

        Assert.Equal(new byte[] { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0 }, head[..8]);
    }

    [Fact]
    public void Bundle_manifest_matches_the_tarball_content()
    {
        using var fixture = new SyntheticBundle();
        var result = fixture.Build();
        var manifest = JsonFile.Read<BundleSetManifest>(fixture.Dir.Combine("out", BundleRequest.ManifestName));

        Assert.Equal("t", manifest.Cluster);
        Assert.Equal(1700000000, manifest.SourceDateEpoch);
        foreach (var node in manifest.Nodes)
        {
            var path = fixture.Dir.Combine("out", node.Bundle);
            Assert.Equal(Sha256Hex.OfFile(path), node.Sha256);
            var entries = ReadTar(path);
            var files = entries.Where(e => e.Type == TarEntryType.RegularFile).ToDictionary(e => e.Name);
            string InTar(string file) => file.StartsWith("bin/", StringComparison.Ordinal) || file.StartsWith("images/", StringComparison.Ordinal)
                ? $"{SyntheticBundle.FullPayloadTop}/{file}"
                : $"t-{node.Name}/{file}";
            Assert.Equal(node.Files.Select(f => InTar(f.Path)).Order(StringComparer.Ordinal), files.Keys.Order(StringComparer.Ordinal));
            foreach (var f in node.Files)
            {
                var e = files[InTar(f.Path)];
                Assert.Equal(f.Sha256, e.Sha256);
                Assert.Equal(f.Size, e.Size);
                Assert.Equal(f.Mode, "0" + Convert.ToString(e.Mode, 8));
                Assert.Equal(f.Path.EndsWith(".key", StringComparison.Ordinal) || (f.Path.StartsWith("etc/kubernetes/", StringComparison.Ordinal) && f.Path.EndsWith(".conf", StringComparison.Ordinal)), f.Secret);
            }

            Assert.All(entries, e => Assert.Equal((0, 0, "root", 1700000000L), (e.Uid, e.Gid, e.Uname, e.Mtime)));
            Assert.Contains(entries, e => e.Type == TarEntryType.Directory && e.Name == $"{SyntheticBundle.FullPayloadTop}/bin/cni/");
            Assert.Equal(
                [($"t-{node.Name}/bin", $"../{SyntheticBundle.FullPayloadTop}/bin"), ($"t-{node.Name}/images", $"../{SyntheticBundle.FullPayloadTop}/images")],
                entries.Where(e => e.Type == TarEntryType.SymbolicLink).Select(e => (e.Name, e.LinkName)).ToList());
            Assert.Contains("registry.k8s.io/pause:3.10.2", node.Images);
            Assert.Equal("2.17", node.KubeNginxGlibc);
        }

        var sums = Sha256Sums.Parse(File.ReadAllText(fixture.Dir.Combine("out", "SHA256SUMS")), "SHA256SUMS");
        Assert.Equal(5, sums.Count);
        Assert.All(result.Tarballs, t => Assert.Equal(t.Sha256, sums[Path.GetFileName(t.Path)]));
    }

    [Fact]
    public void Node_bundle_has_the_installer_layout_and_a_matching_inner_sha256sums()
    {
        using var fixture = new SyntheticBundle(nodes: 1);
        var result = fixture.Build();
        using var x = new TempDirectory("kag-x");
        Cmd.Run("tar", "-xzf", result.Tarballs[0].Path, "-C", x.Path).EnsureSuccess("tar xzf");
        var top = x.Combine("t-n01");

        Assert.Equal(["t-n01", SyntheticBundle.FullPayloadTop], Directory.GetFileSystemEntries(x.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var link in new[] { "bin", "images" })
        {
            Assert.Equal($"../{SyntheticBundle.FullPayloadTop}/{link}", new FileInfo(Path.Combine(top, link)).LinkTarget);
            Assert.Equal(x.Combine(SyntheticBundle.FullPayloadTop, link, link == "bin" ? "etcd" : "images.oci.tar"),
                Cmd.Run("readlink", "-f", Path.Combine(top, link, link == "bin" ? "etcd" : "images.oci.tar")).Stdout.Trim());
        }

        foreach (var item in new[] { "install.sh", "lib/layout.env", "lib/files.tsv", "lib/actions.sh", "manifest.json", "SHA256SUMS", "bin/etcd", "bin/cni/bridge", "images/images.oci.tar", "etc/systemd/system/kube-apiserver.service", "pki/ca.key" })
        {
            Assert.True(File.Exists(Path.Combine(top, item)), item);
        }

        Assert.False(File.Exists(Path.Combine(top, "addons/calico.yaml")), "the raw calico manifest is not bundled");
        Cmd.Run("sha256sum", ["--strict", "--quiet", "-c", "SHA256SUMS"], top).EnsureSuccess("sha256sum -c");
        var env = File.ReadAllText(Path.Combine(top, "lib/layout.env"));
        Assert.Contains("KA_BIN_DIR='/opt/kube-airgap/current/bin'", env, StringComparison.Ordinal);
        Assert.Contains("KA_UNITS='containerd etcd kube-nginx kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy'", env, StringComparison.Ordinal);
        var tsv = File.ReadAllLines(Path.Combine(top, "lib/files.tsv"));
        Assert.Contains(tsv, l => l.EndsWith("\tbin/cni/bridge\t/opt/cni/bin/bridge", StringComparison.Ordinal));
        Assert.Contains(tsv, l => l.StartsWith("0600\t", StringComparison.Ordinal) && l.EndsWith("\tpki/ca.key\t/etc/kubernetes/pki/ca.key", StringComparison.Ordinal));
    }

    [Fact]
    public void Signed_sums_verify_with_openssl()
    {
        using var fixture = new SyntheticBundle(nodes: 1);
        var key = fixture.Dir.Combine("signing.pem");
        Cmd.Run("openssl", "genpkey", "-algorithm", "ed25519", "-out", key).EnsureSuccess("genpkey");
        Cmd.Run("openssl", "pkey", "-in", key, "-pubout", "-out", fixture.Dir.Combine("pub.pem")).EnsureSuccess("pubout");
        var signer = BundleSigner.Load(key);
        var result = fixture.Build(signer: signer);

        Assert.Equal(File.ReadAllText(fixture.Dir.Combine("pub.pem")), signer.PublicKeyPem());
        var outer = Cmd.Run("openssl", "pkeyutl", "-verify", "-rawin", "-pubin", "-inkey", fixture.Dir.Combine("pub.pem"),
            "-in", fixture.Dir.Combine("out", "SHA256SUMS"), "-sigfile", fixture.Dir.Combine("out", "SHA256SUMS.sig"));
        Assert.True(outer.ExitCode == 0, outer.Output);

        using var x = new TempDirectory("kag-x");
        Cmd.Run("tar", "-xzf", result.Tarballs[0].Path, "-C", x.Path).EnsureSuccess("tar xzf");
        var inner = Cmd.Run("openssl", "pkeyutl", "-verify", "-rawin", "-pubin", "-inkey", fixture.Dir.Combine("pub.pem"),
            "-in", x.Combine("t-n01", "SHA256SUMS"), "-sigfile", x.Combine("t-n01", "SHA256SUMS.sig"));
        Assert.True(inner.ExitCode == 0, inner.Output);

        File.AppendAllText(x.Combine("t-n01", "SHA256SUMS"), "\n");
        var tampered = Cmd.Run("openssl", "pkeyutl", "-verify", "-rawin", "-pubin", "-inkey", fixture.Dir.Combine("pub.pem"),
            "-in", x.Combine("t-n01", "SHA256SUMS"), "-sigfile", x.Combine("t-n01", "SHA256SUMS.sig"));
        Assert.NotEqual(0, tampered.ExitCode);
    }

    [Fact]
    public void Sbom_is_spdx_2_3_with_urls_checksums_and_licences_from_the_pins()
    {
        using var fixture = new SyntheticBundle(nodes: 1);
        fixture.Build();
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(fixture.Dir.Combine("out", BundleRequest.SbomName)));
        var root = doc.RootElement;
        Assert.Equal("SPDX-2.3", root.GetProperty("spdxVersion").GetString());
        var packages = root.GetProperty("packages").EnumerateArray().ToList();
        var apiserver = packages.Single(p => p.GetProperty("name").GetString() == "kube-apiserver");
        var pin = fixture.SyntheticPins.Find("kube-apiserver", fixture.Spec.KubernetesVersion)!.For("amd64")!;
        Assert.Equal(pin.Url, apiserver.GetProperty("downloadLocation").GetString());
        Assert.Equal(pin.Sha256, apiserver.GetProperty("checksums")[0].GetProperty("checksumValue").GetString());
        Assert.Equal("Apache-2.0", apiserver.GetProperty("licenseDeclared").GetString());
        Assert.Contains(packages, p => p.GetProperty("name").GetString() == "pause");
        Assert.Equal(packages.Count, root.GetProperty("relationships").GetArrayLength());
    }

    [Fact]
    public void Missing_inputs_are_reported_with_their_path()
    {
        using var fixture = new SyntheticBundle(nodes: 1);
        Directory.Delete(fixture.NodeTree("n01"), recursive: true);
        var error = Assert.Throws<DirectoryNotFoundException>(() => fixture.Build());
        Assert.Contains(fixture.NodeTree("n01"), error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(fixture.Dir.Combine("out"), "*.tar.gz"));
    }

    internal sealed record TarItem(string Name, TarEntryType Type, int Mode, int Uid, int Gid, string Uname, long Mtime, long Size, string? Sha256, string LinkName);

    internal static List<TarItem> ReadTar(string path)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        var items = new List<TarItem>();
        while (reader.GetNextEntry() is { } e)
        {
            string? sha = e.DataStream is null ? null : Sha256Hex.Of(e.DataStream);
            items.Add(new TarItem(e.Name, e.EntryType, (int)e.Mode, e.Uid, e.Gid, ((PosixTarEntry)e).UserName, e.ModificationTime.ToUnixTimeSeconds(), e.Length, sha, e.LinkName));
        }

        return items;
    }
}
