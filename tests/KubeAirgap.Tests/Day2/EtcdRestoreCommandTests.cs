using KubeAirgap.Tests.Installer;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Day2;

/// <summary>
/// <c>install.sh etcd-restore</c> as an operator types it, on a node installed from a synthetic bundle with --root:
/// the command reaches lib/day2.sh, asks for --yes after printing every member's steps, and touches nothing before.
/// (The restore itself, with real etcd, is <see cref="EtcdRestoreDrillTests"/>.)
/// </summary>
public sealed class EtcdRestoreCommandTests(ExtractedBundles bundles) : IClassFixture<ExtractedBundles>
{
    [Fact]
    public void Should_print_every_members_steps_and_change_nothing_without_yes()
    {
        // Given: n01 installed into a root, and a snapshot file
        using var root = new TargetRoot();
        var bundle = bundles.BundleDir("n01");
        ExtractedBundles.Install(bundle, root, "install", "--no-start").EnsureSuccess("install");
        root.Write("snapshot.db", "not looked at before --yes");
        root.Write("etc/systemd/system/etcd.service", EtcdUnit(bundles.Nodes));
        var before = ExtractedBundles.TreeOf(root.Path);

        // When
        var result = ExtractedBundles.Install(bundle, root, "etcd-restore", root.Combine("snapshot.db"));

        // Then: usage exit, the procedure for all three members, the same tree
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("pass --yes once every member is stopped", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("stop etcd on EVERY member first", result.Stdout, StringComparison.Ordinal);
        foreach (var node in bundles.Nodes)
        {
            Assert.Contains($"on {node} (https://", result.Stdout, StringComparison.Ordinal);
        }

        Assert.Equal(before, ExtractedBundles.TreeOf(root.Path));
    }

    [Fact]
    public void Should_refuse_a_member_whose_unit_names_no_cluster()
    {
        // Given: n03 installed, its etcd.service without the --initial-cluster the restore needs
        using var root = new TargetRoot();
        var bundle = bundles.BundleDir("n03");
        ExtractedBundles.Install(bundle, root, "install", "--no-start").EnsureSuccess("install");
        root.Write("snapshot.db", "x");

        // When
        var result = ExtractedBundles.Install(bundle, root, "etcd-restore", root.Combine("snapshot.db"));

        // Then: the error names the unit and the flag, before any step is printed
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("etcd.service: ExecStart has no --initial-cluster=", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("stop etcd on EVERY member first", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_missing_snapshot_naming_it()
    {
        // Given
        using var root = new TargetRoot();
        var bundle = bundles.BundleDir("n02");
        ExtractedBundles.Install(bundle, root, "install", "--no-start").EnsureSuccess("install");

        // When
        var missing = ExtractedBundles.Install(bundle, root, "etcd-restore", root.Combine("no-such.db"), "--yes");
        var none = ExtractedBundles.Run(bundle, "etcd-restore");

        // Then
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains($"snapshot {root.Combine("no-such.db")}: no such file", missing.Stderr, StringComparison.Ordinal);
        Assert.True(Directory.Exists(root.Combine("data", "k8s", "etcd", "data")), "the data directory stays where it is");
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("etcd-restore needs a snapshot file", none.Stderr, StringComparison.Ordinal);
    }

    /// <summary>An etcd unit as Render writes it (the flags the restore reads), for members on unroutable test addresses.</summary>
    private static string EtcdUnit(IReadOnlyList<string> nodes)
    {
        var cluster = string.Join(",", nodes.Select((n, i) => $"{n}=https://192.0.2.{i + 1}:2380"));
        return "[Service]\nExecStart=/opt/kube-airgap/current/bin/etcd \\\n  --name=n01 \\\n  --data-dir=/data/k8s/etcd/data \\\n  --wal-dir=/data/k8s/etcd/wal \\\n"
            + "  --listen-peer-urls=https://192.0.2.1:2380 \\\n  --initial-advertise-peer-urls=https://192.0.2.1:2380 \\\n  --listen-client-urls=https://192.0.2.1:2379 \\\n"
            + $"  --initial-cluster-token=t-etcd \\\n  --initial-cluster={cluster}\n";
    }
}
