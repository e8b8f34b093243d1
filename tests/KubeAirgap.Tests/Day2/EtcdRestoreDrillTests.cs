using KubeAirgap.Cluster;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Day2;

/// <summary>
/// The restore drill of README "Day 2" with real etcd: three members over mutual TLS, a snapshot taken by the rendered
/// etcd-backup.sh, a key written after it, all members stopped, every member restored with the installer's own
/// etcd_restore_member (src/installer/lib/day2.sh), all started together.
/// </summary>
public sealed class EtcdRestoreDrillTests
{
    [Fact]
    public void Should_bring_three_members_back_from_the_timer_snapshot_with_the_key_written_before_it_and_not_the_one_after()
    {
        // Given: a running 3-member cluster; key a, then the backup script's snapshot, then key b
        using var temp = new TempDirectory("kag-restore");
        using var etcd = new EtcdMembers(temp, s => s with { Etcd = new EtcdSpec { Backup = new EtcdBackupSpec { Keep = 2, Dir = "/backup" } } });
        etcd.Start();
        var first = $"https://{etcd.Ips[0]}:2379";
        etcd.Etcdctl(first, "put", "a", "before-snapshot").EnsureSuccess("put a");
        var backupDir = Path.Combine(etcd.Roots[0], "backup");
        var snapshot = RunBackup(etcd.Roots[0], backupDir).Single();
        etcd.Etcdctl(first, "put", "b", "after-snapshot").EnsureSuccess("put b");

        // and: the restore refuses while this member's etcd is running, touching nothing
        var refused = Restore(etcd.Roots[0], snapshot);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("etcd is still running here", refused.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetDirectories(Path.Combine(etcd.Roots[0], "data", "k8s", "etcd"), "*.before-restore-*"));

        // When: every member is stopped, restored from the same snapshot, and all are started together
        etcd.Stop();
        foreach (var root in etcd.Roots)
        {
            var restored = Restore(root, snapshot).EnsureSuccess("etcd_restore_member on " + root);
            Assert.Contains("stop etcd on EVERY member first", restored.Stdout, StringComparison.Ordinal);
            foreach (var node in etcd.Spec.Nodes)
            {
                Assert.Contains($"on {node.Name} (https://{node.Ip}:2380)", restored.Stdout, StringComparison.Ordinal);
            }
        }

        etcd.Start();

        // Then: a is back, b is gone, and the three members are one healthy cluster again
        Assert.Equal("before-snapshot", etcd.Etcdctl(first, "get", "a", "--print-value-only").EnsureSuccess("get a").Stdout.Trim());
        Assert.Equal(string.Empty, etcd.Etcdctl($"https://{etcd.Ips[2]}:2379", "get", "b", "--print-value-only").EnsureSuccess("get b").Stdout.Trim());
        var members = etcd.Etcdctl(first, "member", "list").EnsureSuccess("member list").Stdout;
        Assert.Equal(3, members.Split('\n').Count(l => l.Contains(", started, ", StringComparison.Ordinal)));
        etcd.Etcdctl(etcd.Endpoints, "endpoint", "health").EnsureSuccess("endpoint health of all three");

        // and: the old data and WAL directories were moved aside, not deleted
        foreach (var root in etcd.Roots)
        {
            var moved = Directory.GetDirectories(Path.Combine(root, "data", "k8s", "etcd"), "*.before-restore-*").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(2, moved.Count);
            Assert.StartsWith("data.before-restore-", moved[0], StringComparison.Ordinal);
            Assert.StartsWith("wal.before-restore-", moved[1], StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Should_keep_the_newest_snapshots_and_leave_no_temp_file_behind()
    {
        // Given: a running cluster whose backup keeps 2 snapshots
        using var temp = new TempDirectory("kag-backup");
        using var etcd = new EtcdMembers(temp, s => s with { Etcd = new EtcdSpec { Backup = new EtcdBackupSpec { Keep = 2, Dir = "/backup" } } });
        etcd.Start();
        var backupDir = Path.Combine(etcd.Roots[1], "backup");

        // When: the timer's script runs three times (one second apart: snapshots are named by UTC second)
        var seen = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            etcd.Etcdctl($"https://{etcd.Ips[1]}:2379", "put", "run", i.ToString(System.Globalization.CultureInfo.InvariantCulture)).EnsureSuccess("put");
            seen.AddRange(RunBackup(etcd.Roots[1], backupDir));
            Thread.Sleep(1100);
        }

        // Then: the two newest stay, 0600 in a 0700 directory, each accepted by etcdctl snapshot status; no temp files
        var kept = Directory.GetFiles(backupDir).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(seen.Distinct().Order(StringComparer.Ordinal).TakeLast(2), kept);
        Assert.Equal("600 700", Cmd.Run("stat", "-c", "%a", kept[0], backupDir).EnsureSuccess("stat").Stdout.Trim().Replace('\n', ' '));
        foreach (var file in kept)
        {
            Cmd.Run("etcdctl", ["snapshot", "status", file, "--write-out=json"], environment: new Dictionary<string, string> { ["ETCDCTL_API"] = "3" })
                .EnsureSuccess("etcdctl snapshot status " + file);
        }
    }

    [Fact]
    public void Should_fail_and_keep_no_snapshot_when_etcd_is_down()
    {
        // Given: rendered members that are not running
        using var temp = new TempDirectory("kag-backup-down");
        using var etcd = new EtcdMembers(temp, s => s with { Etcd = new EtcdSpec { Backup = new EtcdBackupSpec { Dir = "/backup" } } });

        // When
        var result = Cmd.Run("bash", [Path.Combine(etcd.Roots[0], "etc", "kube-airgap", "etcd-backup.sh")], timeout: TimeSpan.FromSeconds(60));

        // Then: a failure the journal shows, and nothing in the backup directory (not even a temp file)
        Assert.NotEqual(0, result.ExitCode);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(etcd.Roots[0], "backup")));
    }

    /// <summary>Runs the node's rendered backup script; returns the snapshots it reports saving.</summary>
    private static List<string> RunBackup(string root, string backupDir)
    {
        var result = Cmd.Run("bash", [Path.Combine(root, "etc", "kube-airgap", "etcd-backup.sh")], timeout: TimeSpan.FromSeconds(60)).EnsureSuccess("etcd-backup.sh");
        var saved = result.Stdout.Split('\n')
            .Where(l => l.StartsWith("etcd-backup: saved ", StringComparison.Ordinal))
            .Select(l => l["etcd-backup: saved ".Length..].Split(':')[0])
            .ToList();
        Assert.NotEmpty(saved);
        Assert.All(saved, s => Assert.StartsWith(backupDir + "/snapshot-", s, StringComparison.Ordinal));
        Assert.DoesNotContain(Directory.GetFileSystemEntries(backupDir), f => Path.GetFileName(f).StartsWith('.'));
        return saved;
    }

    /// <summary>The installer's restore for one member: its libraries with the node's layout values, as install.sh loads them.</summary>
    private static Cmd.Result Restore(string root, string snapshot)
    {
        var lib = Repo.File("src", "installer", "lib");
        var script = $$"""
            set -euo pipefail
            info() { echo "[INFO]  $*"; }
            warn() { echo "[WARN]  $*" >&2; }
            fatal() { echo "[ERROR] $1" >&2; exit "${2:-1}"; }
            DRY_RUN=0 ROOT= YES=1
            KA_STATE_DIR='{{root}}/var/lib/kube-airgap' KA_BACKUP_DIR='{{root}}/var/lib/kube-airgap/backup'
            KA_SYSTEMD_DIR='{{root}}/etc/systemd/system' KA_BIN_DIR='{{EtcdMembers.BinDir(root)}}'
            . '{{lib}}/actions.sh'
            . '{{lib}}/day2.sh'
            etcd_restore_member '{{snapshot}}'
            """;
        return Cmd.Bash(script);
    }
}
