using KubeAirgap.Tests.Bundle;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Installer;

/// <summary>install.sh run with --root into temp trees: the tree it makes, idempotence, dry-run, tampering, uninstall, etcd data.</summary>
public sealed class InstallerTests(ExtractedBundles bundles) : IClassFixture<ExtractedBundles>
{
    [Fact]
    public void Install_into_three_roots_makes_exactly_the_expected_tree()
    {
        foreach (var node in bundles.Nodes)
        {
            using var root = new TargetRoot();
            var bundle = bundles.BundleDir(node);
            var run = ExtractedBundles.Install(bundle, root, "install");
            Assert.True(run.ExitCode == 0, run.Output);

            var expected = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var line in File.ReadAllLines(Path.Combine(bundle, "lib/files.tsv")))
            {
                var f = line.Split('\t');
                var path = root.Path + f[4];
                Assert.True(File.Exists(path), $"{node}: {f[4]} not installed");
                Assert.Equal(f[1], Sha(path));
                Assert.Equal(f[0].TrimStart('0'), Cmd.Run("stat", "-c", "%a", path).Stdout.Trim());
                Assert.Equal("0:0", Cmd.Run("stat", "-c", "%u:%g", path).Stdout.Trim());
                expected.Add(f[4]);
            }

            var versionDir = Env(bundle, "KA_VERSION_DIR");
            Assert.Equal(versionDir, Cmd.Run("readlink", root.Combine("opt/kube-airgap/current")).Stdout.Trim());
            Assert.Equal("700", Cmd.Run("stat", "-c", "%a", root.Combine("data/k8s/etcd/data")).Stdout.Trim());

            // Nothing else: only the bundle's files, the state records, the pinned key, the node's uninstaller and the log.
            var files = Cmd.Bash("find . -type f -o -type l | sed 's/^\\.//' | LC_ALL=C sort", root.Path).Stdout
                .Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Where(p => !p.StartsWith("/var/lib/kube-airgap/", StringComparison.Ordinal) || p.StartsWith("/var/lib/kube-airgap/images/", StringComparison.Ordinal))
                .Where(p => p is not "/opt/kube-airgap/current" and not "/opt/kube-airgap/uninstall.sh" and not "/etc/kube-airgap/trusted.pub")
                .Where(p => !p.StartsWith("/opt/kube-airgap/installer/", StringComparison.Ordinal))
                .ToList();
            Assert.Equal(expected.ToList(), files);
            Assert.Contains("installed /etc/kubernetes/pki/ca.key (mode 0600)", File.ReadAllText(root.Log), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_second_run_changes_nothing_and_says_so()
    {
        using var root = new TargetRoot();
        var bundle = bundles.BundleDir("n01");
        Assert.Equal(0, ExtractedBundles.Install(bundle, root).ExitCode);
        var before = ExtractedBundles.TreeOf(root.Path);

        var again = ExtractedBundles.Install(bundle, root, "install");
        Assert.True(again.ExitCode == 0, again.Output);
        Assert.Contains("no changes", again.Stdout, StringComparison.Ordinal);
        Assert.Equal(before, ExtractedBundles.TreeOf(root.Path));
    }

    [Fact]
    public void Dry_run_prints_actions_and_changes_nothing()
    {
        using var root = new TargetRoot();
        Directory.CreateDirectory(root.Combine("etc"));
        var before = ExtractedBundles.TreeOf(root.Path);
        var run = ExtractedBundles.Install(bundles.BundleDir("n02"), root, "install", "--dry-run");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("[dry-run] would install /etc/kubernetes/pki/kubelet.key", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("nothing was changed", run.Stdout, StringComparison.Ordinal);
        Assert.Equal(before, ExtractedBundles.TreeOf(root.Path));
    }

    [Theory]
    [InlineData("bin/kube-apiserver")]
    [InlineData("images/images.oci.tar")]
    [InlineData("pki/kubelet.key")]
    [InlineData("etc/systemd/system/etcd.service")]
    [InlineData("lib/files.tsv")]
    [InlineData("lib/actions.sh")]
    [InlineData("manifest.json")]
    public void A_flipped_byte_is_refused_before_anything_is_touched(string file)
    {
        using var work = new TempDirectory("kag-tamper");
        using var root = new TargetRoot();
        var bundle = bundles.CopyOf("n01", work);
        var path = Path.Combine(bundle, file);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        var run = ExtractedBundles.Install(bundle, root);
        Assert.Equal(4, run.ExitCode);
        Assert.Contains($"{file}: sha256 ", run.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(root.Path));
    }

    [Fact]
    public void Bin_and_images_are_links_into_the_payload_directory_and_install_reads_through_them()
    {
        var bundle = bundles.BundleDir("n01");
        Assert.Equal($"../{SyntheticBundle.FullPayloadTop}/bin", new FileInfo(Path.Combine(bundle, "bin")).LinkTarget);
        Assert.Equal($"../{SyntheticBundle.FullPayloadTop}/images", new FileInfo(Path.Combine(bundle, "images")).LinkTarget);
        Cmd.Run("sha256sum", ["--strict", "--quiet", "-c", "SHA256SUMS"], bundle).EnsureSuccess("sha256sum -c through the links");

        using var root = new TargetRoot();
        var run = ExtractedBundles.Install(bundle, root, "install");
        Assert.True(run.ExitCode == 0, run.Output);
        var apiserver = root.Path + File.ReadAllLines(Path.Combine(bundle, "lib/files.tsv")).Select(l => l.Split('\t')).Single(f => f[3] == "bin/kube-apiserver")[4];
        Assert.False(new FileInfo(apiserver).LinkTarget is not null, "binaries are installed as files, not links into the bundle");
        Assert.Equal(Sha(Path.Combine(bundles.PayloadDir, "bin/kube-apiserver")), Sha(apiserver));
    }

    [Fact]
    public void A_bin_link_to_a_copy_outside_the_extraction_dir_is_refused()
    {
        using var work = new TempDirectory("kag-link");
        using var elsewhere = new TempDirectory("kag-elsewhere");
        using var root = new TargetRoot();
        var bundle = bundles.CopyOf("n01", work);
        Cmd.Run("cp", "-a", Path.Combine(bundles.PayloadDir, "bin"), elsewhere.Combine("bin")).EnsureSuccess("cp");
        File.Delete(Path.Combine(bundle, "bin"));
        File.CreateSymbolicLink(Path.Combine(bundle, "bin"), elsewhere.Combine("bin"));

        var run = ExtractedBundles.Install(bundle, root);
        Assert.Equal(4, run.ExitCode);
        Assert.Contains($"bin: symlink to {elsewhere.Combine("bin")}; a bundle's bin links to ../<payload>/bin", run.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(root.Path));

        File.Delete(Path.Combine(bundle, "bin"));
        File.CreateSymbolicLink(Path.Combine(bundle, "bin"), "../../" + Path.GetFileName(elsewhere.Path) + "/bin");
        run = ExtractedBundles.Install(bundle, root);
        Assert.Equal(4, run.ExitCode);
        Assert.Contains("a bundle's bin links to ../<payload>/bin", run.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(root.Path));
    }

    [Fact]
    public void A_file_link_leading_out_of_the_bundle_is_refused_even_with_the_right_content()
    {
        using var work = new TempDirectory("kag-link");
        using var elsewhere = new TempDirectory("kag-elsewhere");
        using var root = new TargetRoot();
        var bundle = bundles.CopyOf("n02", work);
        var key = Path.Combine(bundle, "pki/kubelet.key");
        File.Copy(key, elsewhere.Combine("kubelet.key"));
        File.Delete(key);
        File.CreateSymbolicLink(key, elsewhere.Combine("kubelet.key"));

        // The payload directory itself pointing elsewhere is caught the same way.
        var payloadBin = Path.Combine(work.Path, SyntheticBundle.FullPayloadTop, "bin");
        Cmd.Run("mv", payloadBin, elsewhere.Combine("bin")).EnsureSuccess("mv");
        File.CreateSymbolicLink(payloadBin, elsewhere.Combine("bin"));

        var run = ExtractedBundles.Install(bundle, root);
        Assert.Equal(4, run.ExitCode);
        Assert.Contains($"pki/kubelet.key: resolves to {elsewhere.Combine("kubelet.key")}, outside the bundle", run.Stderr, StringComparison.Ordinal);
        Assert.Contains($"bin/etcd: resolves to {elsewhere.Combine("bin", "etcd")}, outside the bundle", run.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(root.Path));
    }

    [Fact]
    public void A_truncated_bundle_is_refused_naming_the_missing_file()
    {
        using var work = new TempDirectory("kag-tamper");
        using var root = new TargetRoot();
        var bundle = bundles.CopyOf("n03", work);
        File.Delete(Path.Combine(bundle, "pki/kubelet.key"));
        using (var s = File.OpenWrite(Path.Combine(bundle, "bin/etcd")))
        {
            s.SetLength(s.Length / 2);
        }

        var run = ExtractedBundles.Install(bundle, root);
        Assert.Equal(4, run.ExitCode);
        Assert.Contains("pki/kubelet.key: missing from the bundle", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("bin/etcd: sha256 ", run.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(root.Path));
    }

    [Fact]
    public void Uninstall_restores_the_original_tree_and_keeps_etcd_data()
    {
        using var root = new TargetRoot();
        var bundle = bundles.BundleDir("n02");
        root.Write("etc/sysctl.d/99-kubernetes.conf", "vm.swappiness = 60\n");
        root.Write("etc/hostname", "n02\n");
        root.Write("data/k8s/etcd/data/member/snap/db", "precious");
        root.Write("data/k8s/etcd/wal/0000000000000000-0000000000000000.wal", "log");
        var original = ExtractedBundles.TreeOf(root.Path);
        var madeForData = DirectoriesInstallMakesForData(root, bundle);

        Assert.Equal(0, ExtractedBundles.Install(bundle, root).ExitCode);
        Assert.Contains("net.ipv4.ip_forward", File.ReadAllText(root.Combine("etc/sysctl.d/99-kubernetes.conf")), StringComparison.Ordinal);
        Assert.Equal("vm.swappiness = 60\n", File.ReadAllText(Directory.GetFiles(root.Combine("var/lib/kube-airgap/backup"), "99-kubernetes.conf", SearchOption.AllDirectories).Single()));
        Assert.Equal("precious", File.ReadAllText(root.Combine("data/k8s/etcd/data/member/snap/db")));

        var again = ExtractedBundles.Install(bundle, root);
        Assert.Contains("keeping existing data directory /data/k8s/etcd/data", again.Stdout, StringComparison.Ordinal);
        Assert.Equal("precious", File.ReadAllText(root.Combine("data/k8s/etcd/data/member/snap/db")));

        var refused = ExtractedBundles.Install(bundle, root, "uninstall");
        Assert.Equal(2, refused.ExitCode);
        var uninstall = ExtractedBundles.Install(bundle, root, "uninstall", "--yes");
        Assert.True(uninstall.ExitCode == 0, uninstall.Output);
        // the data dirs install made (kubelet's, containerd's, the audit log's), uninstall keeps them, empty, without
        // --purge, and lists them as kept; etcd's directories were there before kube-airgap and are not listed.
        var kept = root.Combine(Env(bundle, "KA_KEPT_DATA_LIST").TrimStart('/'));
        Assert.Contains(Env(bundle, "KA_KUBELET_DIR"), madeForData);
        Assert.DoesNotContain(Env(bundle, "KA_ETCD_DATA_DIR"), madeForData);
        Assert.Equal(
            madeForData.Select(d => $"{d} {Env(bundle, "KA_CLUSTER")}/{Env(bundle, "KA_NODE")}").Order(StringComparer.Ordinal),
            File.ReadAllLines(kept).Order(StringComparer.Ordinal));
        File.Delete(kept);
        foreach (var d in NodeDataDirs(bundle))
        {
            RemoveEmptyDataDirChain(root, d);
        }
        Assert.Equal(original, ExtractedBundles.TreeOf(root.Path));

        var purge = ExtractedBundles.Install(bundle, root, "uninstall", "--yes", "--purge");
        Assert.Contains("nothing to uninstall", purge.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Uninstall_of_a_fresh_root_leaves_it_as_it_was_and_purge_deletes_data()
    {
        using var root = new TargetRoot();
        var bundle = bundles.BundleDir("n01");
        var original = ExtractedBundles.TreeOf(root.Path);
        Assert.Equal(0, ExtractedBundles.Install(bundle, root).ExitCode);
        root.Write("data/k8s/etcd/data/member/snap/db", "written by etcd");

        var dry = ExtractedBundles.Install(bundle, root, "uninstall", "--dry-run", "--purge");
        Assert.True(dry.ExitCode == 0, dry.Output);
        Assert.True(File.Exists(root.Combine("data/k8s/etcd/data/member/snap/db")));

        var purge = ExtractedBundles.Install(bundle, root, "uninstall", "--yes", "--purge");
        Assert.True(purge.ExitCode == 0, purge.Output);
        Assert.Contains("delete data directory /data/k8s/etcd/data (--purge)", purge.Stdout, StringComparison.Ordinal);
        Assert.Equal(original, ExtractedBundles.TreeOf(root.Path));
    }

    [Fact]
    public void Uninstall_without_purge_keeps_even_an_empty_etcd_dir_and_removes_everything_else()
    {
        using var root = new TargetRoot();
        var bundle = bundles.BundleDir("n03");
        var madeForData = DirectoriesInstallMakesForData(root, bundle);
        Assert.Equal(0, ExtractedBundles.Install(bundle, root).ExitCode);
        var run = ExtractedBundles.Install(bundle, root, "uninstall", "--yes");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("keeping data directory /data/k8s/etcd/data", run.Stdout, StringComparison.Ordinal);
        var left = Cmd.Bash("find . -mindepth 1 | LC_ALL=C sort", root.Path).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var kubelet = Env(bundle, "KA_KUBELET_DIR");
        Assert.Contains("/data/k8s/etcd/data", madeForData);
        Assert.Contains(Env(bundle, "KA_CONTAINERD_ROOT"), madeForData);
        Assert.Equal(new[] { "./var", "./var/lib", "./var/lib/kube-airgap-kept-data.list" }
            .Concat(madeForData.Select(d => "." + d)).Distinct().Order(StringComparer.Ordinal), left);
        Assert.Contains($"keeping data directory {kubelet}", run.Stdout, StringComparison.Ordinal);
        var owner = $"{Env(bundle, "KA_CLUSTER")}/{Env(bundle, "KA_NODE")}";
        // the data directories and the directories install created above them, parents first
        var keptLines = File.ReadAllLines(root.Combine("var/lib/kube-airgap-kept-data.list"));
        Assert.Equal(
            madeForData.Select(d => $"{d} {owner}").Order(StringComparer.Ordinal),
            keptLines.Order(StringComparer.Ordinal));
        Assert.True(Array.IndexOf(keptLines, $"/data {owner}") < Array.IndexOf(keptLines, $"/data/k8s/etcd/data {owner}"), string.Join('\n', keptLines));
        Assert.Equal("600", Cmd.Run("stat", "-c", "%a", root.Combine("var/lib/kube-airgap-kept-data.list")).Stdout.Trim());
    }

    // VM runs 5 and 7 (stop 16, 17): uninstall, install again, then the node's uninstaller with --purge kept etcd's data:
    // "install did not create it", since the first uninstall had removed the records that said it did.
    [Fact]
    public void Data_an_uninstall_kept_is_taken_over_by_the_next_install_and_purge_deletes_it()
    {
        using var root = new TargetRoot();
        var bundle = bundles.BundleDir("n03");
        var original = ExtractedBundles.TreeOf(root.Path);
        Assert.Equal(0, ExtractedBundles.Install(bundle, root).ExitCode);
        root.Write("data/k8s/etcd/data/member/snap/db", "written by etcd");
        Assert.Equal(0, ExtractedBundles.Install(bundle, root, "uninstall", "--yes").ExitCode);
        Assert.True(File.Exists(root.Combine("var/lib/kube-airgap-kept-data.list")));

        var again = ExtractedBundles.Install(bundle, root);
        Assert.True(again.ExitCode == 0, again.Output);
        Assert.Contains("data directories kept by the last uninstall of", again.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(root.Combine("var/lib/kube-airgap-kept-data.list")), "the new install's records name them now");
        Assert.Equal("written by etcd", File.ReadAllText(root.Combine("data/k8s/etcd/data/member/snap/db")));

        var purge = Cmd.Run("bash", [root.Combine("opt/kube-airgap/uninstall.sh"), "--yes", "--purge", "--root", root.Path], environment: new Dictionary<string, string> { ["KA_LOG"] = root.Log });
        Assert.True(purge.ExitCode == 0, purge.Output);
        Assert.Contains("delete data directory /data/k8s/etcd/data (--purge)", purge.Stdout, StringComparison.Ordinal);
        Assert.Equal(original, ExtractedBundles.TreeOf(root.Path));
    }

    // VM run 9 (stop 18): containerd made its root directory itself when install started it, so install had no record
    // of it, and the node's uninstaller --purge kept /data/k8s/containerd ("install did not create it").
    [Fact]
    public void Purge_deletes_the_data_directories_the_components_filled_after_install()
    {
        using var root = new TargetRoot();
        var bundle = bundles.BundleDir("n03");
        var original = ExtractedBundles.TreeOf(root.Path);
        Assert.Equal(0, ExtractedBundles.Install(bundle, root).ExitCode);

        // what each component writes once it runs, into the directory its configuration names
        foreach (var key in new[] { "KA_CONTAINERD_ROOT", "KA_KUBELET_DIR", "KA_ETCD_DATA_DIR" })
        {
            root.Write(Env(bundle, key).TrimStart('/') + "/written-by-the-component", "data");
        }

        var purge = ExtractedBundles.Install(bundle, root, "uninstall", "--yes", "--purge");
        Assert.True(purge.ExitCode == 0, purge.Output);
        Assert.Contains($"delete data directory {Env(bundle, "KA_CONTAINERD_ROOT")} (--purge)", purge.Stdout, StringComparison.Ordinal);
        Assert.Equal(original, ExtractedBundles.TreeOf(root.Path));
    }

    [Fact]
    public void Purge_after_an_uninstall_deletes_the_kept_data_of_this_node_only()
    {
        using var root = new TargetRoot();
        var bundle = bundles.BundleDir("n03");
        var containerd = Env(bundle, "KA_CONTAINERD_ROOT");
        root.Write(containerd.TrimStart('/') + "/foreign", "data that was here before kube-airgap");
        Assert.Equal(0, ExtractedBundles.Install(bundle, root).ExitCode);
        root.Write("data/k8s/etcd/data/member/snap/db", "written by etcd");
        Assert.Equal(0, ExtractedBundles.Install(bundle, root, "uninstall", "--yes").ExitCode);
        var list = root.Combine("var/lib/kube-airgap-kept-data.list");
        File.AppendAllText(list, "/data/other other/node\n");

        var purge = ExtractedBundles.Install(bundle, root, "uninstall", "--yes", "--purge");

        Assert.True(purge.ExitCode == 0, purge.Output);
        Assert.Contains("delete data directory /data/k8s/etcd/data (--purge; kept by the last uninstall of", purge.Stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(root.Combine("data/k8s/etcd/data")));
        Assert.Equal("data that was here before kube-airgap", File.ReadAllText(root.Combine(containerd.TrimStart('/'), "foreign")));
        Assert.Equal("/data/other other/node\n", File.ReadAllText(list));
    }

    [Fact]
    public void An_upgrade_switches_current_and_uninstall_switches_it_back()
    {
        using var root = new TargetRoot();
        Assert.Equal(0, ExtractedBundles.Install(bundles.BundleDir("n01"), root).ExitCode);
        var tree = ExtractedBundles.TreeOf(root.Path);
        Directory.CreateDirectory(root.Combine("opt/kube-airgap/old/bin"));
        File.Delete(root.Combine("opt/kube-airgap/current"));
        File.CreateSymbolicLink(root.Combine("opt/kube-airgap/current"), "old");

        var run = ExtractedBundles.Install(bundles.BundleDir("n01"), root);
        Assert.Contains($"switch /opt/kube-airgap/current to {Env(bundles.BundleDir("n01"), "KA_VERSION_DIR")}", run.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, ExtractedBundles.Install(bundles.BundleDir("n01"), root, "uninstall", "--yes").ExitCode);
        Assert.Equal("old", Cmd.Run("readlink", root.Combine("opt/kube-airgap/current")).Stdout.Trim());
        Assert.NotEqual(tree, ExtractedBundles.TreeOf(root.Path));
    }

    [Fact]
    public void Verify_and_status_report_drift()
    {
        using var root = new TargetRoot();
        var bundle = bundles.BundleDir("n03");
        Assert.Equal(0, ExtractedBundles.Install(bundle, root).ExitCode);
        Assert.Equal(0, ExtractedBundles.Install(bundle, root, "verify").ExitCode);

        File.AppendAllText(root.Combine("etc/kubernetes/kubelet.conf"), "# edited\n");
        var verify = ExtractedBundles.Install(bundle, root, "verify");
        Assert.Equal(6, verify.ExitCode);
        Assert.Contains("changed   /etc/kubernetes/kubelet.conf", verify.Stdout, StringComparison.Ordinal);
        var status = ExtractedBundles.Install(bundle, root, "status");
        Assert.Contains("files differing from this bundle: 1", status.Stdout, StringComparison.Ordinal);

        var repair = ExtractedBundles.Install(bundle, root);
        Assert.Contains("backed up /etc/kubernetes/kubelet.conf", repair.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, ExtractedBundles.Install(bundle, root, "verify").ExitCode);
    }

    [Fact]
    public void An_update_backs_up_the_configs_it_replaces_but_not_the_image_archive_it_placed_itself()
    {
        using var root = new TargetRoot();
        var bundle = bundles.BundleDir("n01");
        Assert.Equal(0, ExtractedBundles.Install(bundle, root).ExitCode);
        var archive = Env(bundle, "KA_IMAGES_ARCHIVE");
        Assert.True(File.Exists(root.Combine(archive.TrimStart('/'))), archive);
        // the node as an older bundle left it: another image archive and another kubeconfig
        File.AppendAllText(root.Combine(archive.TrimStart('/')), "older images");
        File.AppendAllText(root.Combine("etc/kubernetes/kubelet.conf"), "# older\n");

        var update = ExtractedBundles.Install(bundle, root);

        Assert.True(update.ExitCode == 0, update.Output);
        Assert.Contains($"not backing up {archive}: an image archive install itself placed", update.Stdout, StringComparison.Ordinal);
        Assert.Contains("backed up /etc/kubernetes/kubelet.conf", update.Stdout, StringComparison.Ordinal);
        var backups = root.Combine(Env(bundle, "KA_BACKUP_DIR").TrimStart('/'));
        Assert.Contains(Directory.EnumerateFiles(backups, "*", SearchOption.AllDirectories), f => f.EndsWith("/etc/kubernetes/kubelet.conf", StringComparison.Ordinal));
        Assert.DoesNotContain(Directory.EnumerateFiles(backups, "*", SearchOption.AllDirectories), f => f.EndsWith(archive, StringComparison.Ordinal));
        Assert.Equal(0, ExtractedBundles.Install(bundle, root, "verify").ExitCode);
    }

    /// <summary>Removes an empty data dir that uninstall kept and its parents as long as they are empty.</summary>
    /// <summary>This node's data directories (lib/layout.env KA_NODE_DATA_DIRS, <c>mode:path</c> each).</summary>
    private static IReadOnlyList<string> NodeDataDirs(string bundle) =>
        Env(bundle, "KA_NODE_DATA_DIRS").Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(e => e[(e.IndexOf(':', StringComparison.Ordinal) + 1)..]).ToList();

    /// <summary>Before install: the node's data directories and the directories above them that are not there yet (what install will make for them).</summary>
    private static IReadOnlyList<string> DirectoriesInstallMakesForData(TargetRoot root, string bundle) =>
        NodeDataDirs(bundle)
            .SelectMany(d => Enumerable.Range(1, d.Count(c => c == '/')).Select(n => string.Join('/', d.Split('/').Take(n + 1))))
            .Where(d => !Directory.Exists(root.Path + d))
            .Distinct(StringComparer.Ordinal)
            .ToList();

    private static void RemoveEmptyDataDirChain(TargetRoot root, string dir)
    {
        for (var d = dir; d.Length > 1; d = Path.GetDirectoryName(d)!)
        {
            var full = root.Path + d;
            if (!Directory.Exists(full) || Directory.EnumerateFileSystemEntries(full).Any())
            {
                break;
            }

            Directory.Delete(full);
        }
    }

    internal static string Env(string bundle, string key) =>
        File.ReadAllLines(Path.Combine(bundle, "lib/layout.env")).Single(l => l.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..].Trim('\'');

    private static string Sha(string path) => KubeAirgap.Content.Sha256Hex.OfFile(path);
}
