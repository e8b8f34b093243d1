using System.Globalization;
using KubeAirgap.Tests.E2E.Fixtures;
using KubeAirgap.Tests.Installer;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Day2;

/// <summary>
/// lib/upgrade.sh against live components: the 1.35.7 kube-apiserver fixture (real etcd with mTLS behind it) asked
/// with the real kubectl, as the skew check asks every apiserver; the pre-upgrade etcd snapshot from a real etcd;
/// held units skipped by start_services; an etcd-only node skipping the apiserver check.
/// </summary>
public sealed class UpgradeLiveTests
{
    [Fact]
    public void The_apiserver_fixture_reports_its_bundled_version_and_the_skew_check_reads_it()
    {
        using var world = new KubeFixtureWorld();
        using var old = new TempDirectory("kag-fixtures-old");
        Cmd.Run("bash", [Repo.File("tests", "fixtures", "kube", "make-fixtures.sh"), old.Path, "1.35.7"]).EnsureSuccess("make-fixtures.sh 1.35.7");
        Assert.Contains("Kubernetes v1.35.7", Cmd.Run(Path.Combine(old.Path, "kubelet"), ["--version"]).Stdout, StringComparison.Ordinal);
        Assert.Contains("Kubernetes v1.36.3", Cmd.Run(world.Bin("kubelet"), ["--version"]).Stdout, StringComparison.Ordinal);
        world.StartEtcd();
        var apiserver = world.Start(Path.Combine(old.Path, "kube-apiserver"), world.ApiServerFlags());
        apiserver.WaitUntil(() => Ports.IsOpen(world.Address, world.ApiPort), TimeSpan.FromSeconds(60), "kube-apiserver fixture listening");
        using var shell = new NodeShell();
        File.CreateSymbolicLink(Path.Combine(shell.BinDir, "kubectl"), "/usr/bin/kubectl");
        var address = string.Create(CultureInfo.InvariantCulture, $"{world.Address}:{world.ApiPort}");

        var run = shell.Run($$"""
            . "${BUNDLE_DIR}/lib/upgrade.sh"
            ROOT=; KA_KUBELET_KUBECONFIG='{{world.Pki("admin.conf")}}'
            for i in $(seq 30); do v=$(apiserver_version '{{address}}'); case "$v" in unreachable:*) sleep 1 ;; *) break ;; esac; done
            echo "version=$v"
            """);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("version=1.35.7", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void An_upgrade_of_an_etcd_member_takes_a_checked_snapshot_first()
    {
        using var world = new KubeFixtureWorld();
        world.StartEtcd();
        using var shell = SnapshotShell(out var dir);
        var put = Cmd.Run("etcdctl", ["--endpoints", world.EtcdUrl, "--cacert", world.Pki("etcd-ca.crt"), "--cert", world.Pki("apiserver-etcd-client.crt"),
            "--key", world.Pki("apiserver-etcd-client.key"), "put", "/registry/before-upgrade", "1"], environment: new Dictionary<string, string> { ["ETCDCTL_API"] = "3" });
        Assert.True(put.ExitCode == 0, put.Output);
        File.WriteAllText(Path.Combine(shell.Units, "quorum"), string.Empty); // the stub's etcd health probe: healthy

        var run = shell.Run($$"""
            . "${BUNDLE_DIR}/lib/day2.sh"; . "${BUNDLE_DIR}/lib/upgrade.sh"
            ROOT=; KA_UNITS=etcd; KA_ETCD_CLIENTS="${KA_ETCD_CLIENTS/n01=127.0.1.1:2379/n01={{world.Address}}:{{world.EtcdPort}}}"
            KA_ETCD_CACERT='{{world.Pki("etcd-ca.crt")}}'; KA_ETCD_ADMIN_CERT='{{world.Pki("apiserver-etcd-client.crt")}}'; KA_ETCD_ADMIN_KEY='{{world.Pki("apiserver-etcd-client.key")}}'
            echo "etcd health: $(health_of etcd); clients: ${KA_ETCD_CLIENTS}"
            upgrade_etcd_snapshot '{{dir}}'
            """);

        // the layout's own etcd entries, not a shape from memory: health is etcd's /health on its metrics listener
        // (an upgrade once built the snapshot endpoint from it and waited an hour on https://<ip>:http:...; VM run 12)
        Assert.Contains("etcd health: http:127.0.0.1:2381/health;", run.Stdout, StringComparison.Ordinal);
        Assert.Contains($"clients: n01={world.Address}:{world.EtcdPort} n02=", run.Stdout, StringComparison.Ordinal);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains($"take an etcd snapshot of n01 (https://{world.Address}:{world.EtcdPort}) before the upgrade", run.Stdout, StringComparison.Ordinal);
        var snapshot = Path.Combine(dir, "etcd-snapshot.db");
        Assert.Equal("600", Cmd.Run("stat", "-c", "%a", snapshot).Stdout.Trim());
        Assert.False(File.Exists(snapshot + ".part"));
        var status = Cmd.Run("etcdctl", ["snapshot", "status", snapshot, "--write-out=json"], environment: new Dictionary<string, string> { ["ETCDCTL_API"] = "3" });
        Assert.True(status.ExitCode == 0, status.Output);
        Assert.Contains("\"revision\":", status.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_member_that_does_not_answer_the_snapshot_fails_in_seconds_and_says_where()
    {
        using var shell = SnapshotShell(out var dir);
        File.WriteAllText(Path.Combine(shell.Units, "quorum"), string.Empty); // healthy by its probe, but nothing on the client port
        var closed = Ports.Free();

        var run = shell.Run($$"""
            . "${BUNDLE_DIR}/lib/day2.sh"; . "${BUNDLE_DIR}/lib/upgrade.sh"
            ROOT=; KA_UNITS=etcd; KA_ETCD_CLIENTS="n01=127.0.0.1:{{closed}}"
            rc=0; (upgrade_etcd_snapshot '{{dir}}') || rc=$?; echo "rc=$rc"
            """);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("rc=1", run.Stdout, StringComparison.Ordinal);
        Assert.Contains($"etcd snapshot of n01 at https://127.0.0.1:{closed} failed", run.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "etcd-snapshot.db")));
    }

    [Fact]
    public void A_member_whose_etcd_is_down_is_not_upgraded_without_its_snapshot()
    {
        using var shell = SnapshotShell(out var dir);

        var run = shell.Run($$"""
            . "${BUNDLE_DIR}/lib/upgrade.sh"
            check_health() { return 1; }
            ROOT=; KA_UNITS=etcd
            upgrade_etcd_snapshot '{{dir}}'
            """);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("etcd on n01 is not healthy: an upgrade of an etcd member takes a snapshot first", run.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Fact]
    public void Held_units_are_not_restarted_and_the_others_are()
    {
        using var shell = new NodeShell();
        File.WriteAllText(Path.Combine(shell.Units, "quorum"), string.Empty);

        var run = shell.Run("UPGRADE_HELD='kube-controller-manager kube-scheduler kubelet kube-proxy'; start_services");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("kubelet: held at its running version (version-skew policy); not restarted in this run", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("systemctl start --no-block kube-apiserver", shell.CallLines);
        Assert.DoesNotContain(shell.CallLines, l => !l.StartsWith("systemctl show", StringComparison.Ordinal)
            && (l.EndsWith(" kubelet", StringComparison.Ordinal) || l.EndsWith(" kube-scheduler", StringComparison.Ordinal)));
        Assert.Contains("systemctl start kube-nginx", shell.CallLines);
        Assert.False(File.Exists(Path.Combine(shell.Root, "var/lib/kube-airgap/inputs.kubelet")));
    }

    [Fact]
    public void An_etcd_only_node_skips_the_apiserver_check_and_says_why()
    {
        using var shell = new NodeShell();

        var run = shell.Run("""
            . "${BUNDLE_DIR}/lib/upgrade.sh"
            KA_ROLES=etcd; KA_APISERVERS='n02=192.0.2.1:6443'
            check_live_skew
            echo "held=[${UPGRADE_HELD}]"
            """);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("version skew: n01 runs no kubelet and no apiserver (roles: etcd); the apiserver version check is skipped", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("held=[]", run.Stdout, StringComparison.Ordinal);
    }

    /// <summary>A node shell with the real etcdctl and an empty backup directory for the snapshot.</summary>
    private static NodeShell SnapshotShell(out string dir)
    {
        var shell = new NodeShell();
        File.CreateSymbolicLink(Path.Combine(shell.BinDir, "etcdctl"), "/usr/bin/etcdctl");
        dir = shell.Fake + "/backup";
        Directory.CreateDirectory(dir);
        return shell;
    }
}
