using System.Net;
using System.Net.Sockets;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Installer;

/// <summary>
/// lib/services.sh start_services with a systemctl stub: etcd started without blocking and waited for until it has
/// quorum (a lone member names the peers it waits for and ends with exit 8; a re-run completes the node), and each
/// unit restarted only when its own inputs (KA_UNIT_INPUTS) changed.
/// </summary>
public sealed class ServiceOrderTests
{
    private static readonly string[] AfterEtcd = ["kube-nginx", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy"];

    [Fact]
    public void A_lone_etcd_member_names_the_peers_it_waits_for_exits_8_and_a_rerun_completes_it()
    {
        using var shell = new NodeShell();
        var peer = new TcpListener(IPAddress.Loopback, 0);
        peer.Start();
        try
        {
            var open = ((IPEndPoint)peer.LocalEndpoint).Port;
            var closed = Ports.Free();
            var peers = $"KA_ETCD_PEERS='n02=127.0.0.1:{open} n03=127.0.0.1:{closed}'; ";
            var env = new Dictionary<string, string> { ["KA_ETCD_QUORUM_TIMEOUT"] = "3" };

            var alone = shell.Run(peers + "start_services", env);

            Assert.True(alone.ExitCode == 8, alone.Output);
            Assert.Contains($"waiting for etcd quorum: n03 127.0.0.1:{closed} not reachable; install the other etcd members", alone.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain($"n02 127.0.0.1:{open}", alone.Output, StringComparison.Ordinal);
            Assert.Contains("run install.sh again on n01", alone.Stderr, StringComparison.Ordinal);
            Assert.Contains("systemctl start --no-block etcd", shell.CallLines);
            Assert.DoesNotContain("systemctl start etcd", shell.CallLines);
            Assert.DoesNotContain(shell.CallLines, l => AfterEtcd.Any(u => l == $"systemctl start {u}"));

            // the other members come up: the re-run goes on from etcd, without restarting it
            File.WriteAllText(Path.Combine(shell.Units, "quorum"), string.Empty);
            shell.ClearCalls();
            var rerun = shell.Run(peers + "start_services", env);

            Assert.True(rerun.ExitCode == 0, rerun.Output);
            Assert.Contains("etcd has quorum", rerun.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain(shell.CallLines, l => l.StartsWith("systemctl restart", StringComparison.Ordinal) || l.EndsWith(" etcd", StringComparison.Ordinal) && l.Contains("start", StringComparison.Ordinal));
            Assert.All(AfterEtcd, u => Assert.Contains(u == "kube-apiserver" ? $"systemctl start --no-block {u}" : $"systemctl start {u}", shell.CallLines));
        }
        finally
        {
            peer.Stop();
        }
    }

    [Fact]
    public void The_control_plane_starts_once_quorum_exists_while_the_installer_waits()
    {
        using var shell = new NodeShell();
        var env = new Dictionary<string, string> { ["KA_ETCD_QUORUM_TIMEOUT"] = "120" };

        var run = shell.Run($"KA_ETCD_PEERS='n02=127.0.0.1:{Ports.Free()}'; (sleep 3; touch \"${{UNITS}}/quorum\") & start_services", env);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("waiting for etcd quorum: n02 127.0.0.1:", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("etcd has quorum", run.Stdout, StringComparison.Ordinal);
        var calls = shell.CallLines.ToList();
        Assert.True(calls.IndexOf("systemctl start --no-block etcd") < calls.IndexOf("systemctl start --no-block kube-apiserver"), string.Join('\n', calls));
        Assert.True(calls.IndexOf("systemctl start containerd") < calls.IndexOf("systemctl start --no-block etcd"), string.Join('\n', calls));
    }

    [Fact]
    public void The_etcd_backup_timer_is_enabled_and_started_after_the_units_on_etcd_members()
    {
        using var shell = new NodeShell();
        File.WriteAllText(Path.Combine(shell.Units, "quorum"), string.Empty);

        var run = shell.Run("start_services");

        Assert.True(run.ExitCode == 0, run.Output);
        var calls = shell.CallLines.ToList();
        Assert.Contains("systemctl enable -q --no-reload etcd-backup.timer", calls);
        Assert.True(calls.IndexOf("systemctl start etcd-backup.timer") > calls.IndexOf("systemctl start kube-proxy"), string.Join('\n', calls));
    }

    [Fact]
    public void Enabling_units_does_not_reload_systemd_once_per_unit()
    {
        using var shell = new NodeShell();
        File.WriteAllText(Path.Combine(shell.Units, "quorum"), string.Empty);

        var run = shell.Run("start_services");

        Assert.True(run.ExitCode == 0, run.Output);
        var enables = shell.CallLines.Where(c => c.StartsWith("systemctl enable", StringComparison.Ordinal)).ToList();
        Assert.True(enables.Count >= 2, string.Join('\n', shell.CallLines));
        Assert.All(enables, c => Assert.Contains(" --no-reload ", c, StringComparison.Ordinal));
    }

    [Fact]
    public void Only_units_whose_own_inputs_changed_restart()
    {
        using var shell = new NodeShell();
        File.WriteAllText(Path.Combine(shell.Units, "quorum"), string.Empty);
        var first = shell.Run("start_services");
        Assert.True(first.ExitCode == 0, first.Output);

        Assert.Equal(["kube-proxy"], Restarts(shell, "etc/kubernetes/kube-proxy.yaml"));
        Assert.Equal(["etcd"], Restarts(shell, "pki/etcd/peer.key"));
        Assert.Equal(["kubelet"], Restarts(shell, "bin/kubelet"));
        Assert.Equal(["kube-nginx"], Restarts(shell, "etc/kube-nginx/kube-nginx.conf"));
        Assert.Equal(["kube-apiserver", "kube-controller-manager", "kubelet"], Restarts(shell, "pki/ca.crt"));
        Assert.Empty(Restarts(shell, "addons/coredns.yaml"));
        Assert.Empty(Restarts(shell, null));
    }

    /// <summary>Changes one bundle file (or none), re-runs start_services and returns the units it restarted.</summary>
    private static string[] Restarts(NodeShell shell, string? changed)
    {
        if (changed is not null)
        {
            shell.Change(changed, Guid.NewGuid().ToString());
        }

        shell.ClearCalls();
        var run = shell.Run("start_services");
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.DoesNotContain(shell.CallLines, l => l.StartsWith("systemctl start ", StringComparison.Ordinal));
        return shell.CallLines.Where(l => l.StartsWith("systemctl restart", StringComparison.Ordinal)).Select(l => l.Split(' ')[^1]).ToArray();
    }
}
