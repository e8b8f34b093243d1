using KubeAirgap.Cluster;
using KubeAirgap.Diagnostics;
using KubeAirgap.Render;
using KubeAirgap.Roles;
using KubeAirgap.Tests.Render.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Day2;

/// <summary>The etcd backup timer as rendered: systemd accepts it, the inventory settings reach it, bad settings are refused.</summary>
public sealed class EtcdBackupUnitTests
{
    [Theory]
    [InlineData("shipped", "1.36.3", "etcdutl")]
    [InlineData("debian", "1.35.7", "etcdctl")]
    public void Should_render_a_timer_and_service_that_systemd_analyze_verify_accepts(string pinsName, string version, string checker)
    {
        // Given: an etcd node rendered into a root with the backup settings of the inventory
        using var temp = new TempDirectory("kag-backup-units");
        var root = temp.Combine("root");
        var spec = RenderFixture.Inventory(["10.0.0.1"], version) with
        {
            Etcd = new EtcdSpec { Backup = new EtcdBackupSpec { Schedule = "Mon..Fri *-*-* 01:30:00", Keep = 5, Dir = "/srv/etcd-snapshots" } },
        };
        var pins = pinsName == "debian" ? RenderFixture.DebianPins : RenderFixture.ShippedPins;
        var files = RenderFixture.Render(spec, pins, spec.Nodes[0], RenderFixture.Options(root));
        TreeWriter.Write(root, files);
        var units = Path.Combine(root, "etc", "systemd", "system");

        // When
        var result = Cmd.Run("systemd-analyze", ["verify", Path.Combine(units, "etcd-backup.service"), Path.Combine(units, "etcd-backup.timer")]);

        // Then: no error, no warning; the settings are where systemd and the script read them
        Assert.True(result.ExitCode == 0 && result.Stderr.Trim().Length == 0, result.Output);
        Assert.Contains("OnCalendar=Mon..Fri *-*-* 01:30:00\n", files.Content("etc/systemd/system/etcd-backup.timer"), StringComparison.Ordinal);
        Assert.Contains($"ExecStart={root}/etc/kube-airgap/etcd-backup.sh\n", files.Content("etc/systemd/system/etcd-backup.service"), StringComparison.Ordinal);
        var script = files.Content("etc/kube-airgap/etcd-backup.sh");
        Assert.Contains("KEEP=5\n", script, StringComparison.Ordinal);
        Assert.Contains($"DIR='{root}/srv/etcd-snapshots'\n", script, StringComparison.Ordinal);
        Assert.Contains($"SNAPSHOT_TOOL='{checker}'\n", script, StringComparison.Ordinal);
        Assert.Equal("0755", files.Single(f => f.Path == "etc/kube-airgap/etcd-backup.sh").ModeText);

        // and the rendered script is shellcheck clean
        var shellcheck = Cmd.Run("shellcheck", Path.Combine(root, "etc", "kube-airgap", "etcd-backup.sh"));
        Assert.True(shellcheck.ExitCode == 0, shellcheck.Output);
    }

    [Fact]
    public void Should_give_only_etcd_members_the_backup_timer()
    {
        // Given: a worker-only node next to an etcd member
        var spec = RenderFixture.Inventory(["10.0.0.1", "10.0.0.2"]);
        spec = spec with { Nodes = [spec.Nodes[0], spec.Nodes[1] with { Roles = new HashSet<NodeRole> { NodeRole.Worker } }] };

        // When
        var member = RenderFixture.Render(spec, RenderFixture.ShippedPins, spec.Nodes[0]).Select(f => f.Path).ToList();
        var worker = RenderFixture.Render(spec, RenderFixture.ShippedPins, spec.Nodes[1]).Select(f => f.Path).ToList();

        // Then
        Assert.Contains("etc/systemd/system/etcd-backup.timer", member);
        Assert.DoesNotContain(worker, p => p.Contains("etcd-backup", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_default_to_a_six_hourly_schedule_keeping_eight_snapshots()
    {
        var spec = RenderFixture.Inventory(["10.0.0.1"]);

        Assert.Equal("*-*-* 00/6:00:00", spec.Etcd.Backup.Schedule);
        Assert.Equal(8, spec.Etcd.Backup.Keep);
        Assert.Equal("/data/k8s/etcd-backup", spec.Etcd.Backup.Dir);
        Assert.DoesNotContain(ClusterValidator.Validate(spec), d => d.Severity == Severity.Error);
    }

    [Theory]
    [InlineData("schedule: 'every day'", "etcd.backup.schedule", "not a systemd calendar event")]
    [InlineData("keep: 0", "etcd.backup.keep", "keep between 1 and 1000")]
    [InlineData("dir: relative/path", "etcd.backup.dir", "absolute path")]
    [InlineData("dir: /data/k8s/etcd/data/snapshots", "etcd.backup.dir", "overlaps paths.etcdDataDir")]
    [InlineData("interval: 6h", "etcd.backup.interval", "unknown field")]
    public void Should_refuse_bad_backup_settings_naming_the_field_and_line(string setting, string field, string message)
    {
        // Given: the shipped inventory with one bad etcd.backup setting appended
        var yaml = File.ReadAllText(Repo.File("cluster.yaml")) + $"\netcd:\n  backup:\n    {setting}\n";
        var path = Path.Combine(Path.GetTempPath(), $"kag-etcd-backup-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, yaml);
        try
        {
            // When
            var error = Assert.Throws<InputException>(() => ClusterLoader.LoadValid(path));

            // Then: file, line and field are named
            var line = Array.FindIndex(yaml.Split('\n'), l => l.Trim() == setting) + 1;
            var text = string.Join("\n", error.Diagnostics.Select(d => d.ToString()));
            Assert.Contains(message, text, StringComparison.Ordinal);
            Assert.Contains(field, text, StringComparison.Ordinal);
            Assert.True(text.Contains($"{Path.GetFileName(path)}:{line}:", StringComparison.Ordinal), $"line {line} not named in: {text}");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
