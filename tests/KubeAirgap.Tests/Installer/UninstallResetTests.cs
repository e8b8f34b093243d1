using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Installer;

/// <summary>
/// Issue 13 point 6 and issue 15 point 10: uninstall resets the node like kubeadm reset, in its order, with fake
/// systemctl, crictl, ip, nft, iptables-save/-restore and umount on PATH (each writes what it was asked to
/// calls.log), a fake mountinfo and cgroup, and a real process standing in for a shim that containerd's
/// KillMode=process leaves behind.
/// </summary>
public sealed class UninstallResetTests(ExtractedBundles bundles) : IClassFixture<ExtractedBundles>
{
    private sealed class FakeHost : IDisposable
    {
        private readonly TempDirectory _dir = new("kag-host");

        public FakeHost(TargetRoot root, string bundle, string? crictlFails = null, string? ipipRefcnt = null)
        {
            var log = Log;
            Tool("systemctl", "exit 0");
            Tool("umount", "exit 0");
            Tool("modprobe", "exit 0");
            if (ipipRefcnt is not null)
            {
                _dir.Write("sys/module/ipip/refcnt", ipipRefcnt + "\n");
            }
            Tool("ip", "if [ \"$*\" = '-o link show' ]; then printf '%s\\n' '1: lo: <LOOPBACK,UP>' '2: eth0: <BROADCAST>' '5: cali1a2b3c@if3: <BROADCAST>' '6: tunl0@NONE: <NOARP>' '7: vxlan.calico: <BROADCAST>' '8: docker0: <BROADCAST>'; fi");
            Tool("nft", "if [ \"$*\" = 'list tables' ]; then printf '%s\\n' 'table ip kube-proxy' 'table ip6 kube-proxy' 'table ip calico' 'table inet filter'; fi");
            Tool("iptables-save", $"cat '{_dir.Combine("iptables.dump")}'");
            Tool("iptables-restore", $"cat > '{_dir.Combine("iptables.restored")}'");
            _dir.Write("iptables.dump",
                "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:KUBE-FORWARD - [0:0]\n:cali-FORWARD - [0:0]\n:MY-CHAIN - [0:0]\n" +
                "-A INPUT -j MY-CHAIN\n-A FORWARD -m comment --comment \"kubernetes forwarding rules\" -j KUBE-FORWARD\n-A FORWARD -j cali-FORWARD\n" +
                "-A KUBE-FORWARD -j ACCEPT\n-A cali-FORWARD -j ACCEPT\n-A MY-CHAIN -p tcp --dport 22 -j ACCEPT\nCOMMIT\n");
            var crictl = root.Path + InstallerTests.Env(bundle, "KA_BIN_DIR") + "/crictl";
            File.WriteAllText(crictl,
                $"#!/bin/bash\necho \"crictl $*\" >> '{log}'\nwhile [ \"${{1#--}}\" != \"$1\" ]; do shift 2; done\n" +
                "case \"$*\" in " + (crictlFails is null ? string.Empty : $"{crictlFails}*) echo '{crictlFails}: context deadline exceeded' >&2; exit 1 ;; ") +
                "'pods -q') printf 'pod1\\npod2\\n' ;; 'ps -a -q') echo ctr1 ;; esac\n");
            Cmd.Run("chmod", "+x", crictl).EnsureSuccess("chmod");
            var socket = root.Path + InstallerTests.Env(bundle, "KA_CONTAINERD_SOCKET");
            Directory.CreateDirectory(Path.GetDirectoryName(socket)!);
            Cmd.Run("python3", "-c", $"import socket; socket.socket(socket.AF_UNIX).bind('{socket}')").EnsureSuccess("socket");

            var kubelet = root.Path + InstallerTests.Env(bundle, "KA_KUBELET_DIR");
            _dir.Write("proc/self/mountinfo",
                "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n" +
                $"40 22 0:50 / {kubelet}/pods/p1/volumes/kubernetes.io~projected/kube-api-access rw - tmpfs tmpfs rw\n" +
                $"41 22 0:51 / {kubelet}/pods/p1/volumes/kubernetes.io~empty-dir/with\\040space rw - tmpfs tmpfs rw\n" +
                $"42 40 0:52 / {kubelet}/pods/p1/volumes/kubernetes.io~projected/kube-api-access/nested rw - tmpfs tmpfs rw\n" +
                $"43 22 0:53 / {kubelet}-other/x rw - tmpfs tmpfs rw\n");
            Shim = new BackgroundProcess("sleep", ["300"]);
            _dir.Write("sys/fs/cgroup/system.slice/containerd.service/cgroup.procs", $"{Shim.Pid}\n");
            Directory.CreateDirectory(_dir.Combine("systemd-run"));
            Environment = new Dictionary<string, string>
            {
                ["PATH"] = _dir.Combine("bin") + ":" + System.Environment.GetEnvironmentVariable("PATH"),
                ["KA_RESET_HOST"] = "1",
                ["KA_PROC"] = _dir.Combine("proc"),
                ["KA_SYS"] = _dir.Combine("sys"),
                ["KA_SYSTEMD_RUN"] = _dir.Combine("systemd-run"),
            };
        }

        public BackgroundProcess Shim { get; }

        public Dictionary<string, string> Environment { get; }

        public string Log => _dir.Combine("calls.log");

        public string[] Calls => File.Exists(Log) ? File.ReadAllLines(Log) : [];

        public string Restored => File.ReadAllText(_dir.Combine("iptables.restored"));

        private void Tool(string name, string body)
        {
            _dir.Write($"bin/{name}", $"#!/bin/bash\necho \"{name} $*\" >> '{Log}'\n{body}\n");
            Cmd.Run("chmod", "+x", _dir.Combine("bin", name)).EnsureSuccess("chmod");
        }

        public void Dispose()
        {
            Shim.Dispose();
            _dir.Dispose();
        }
    }

    // The VM run (stop 16) left tunl0 after uninstall: it is the ipip module's fallback device and cannot be deleted,
    // only unloaded with the module, and only when no other tunnel holds the module.
    [Theory]
    [InlineData("0", true, "unload the ipip module (tunl0, its fallback device, goes with it)")]
    [InlineData("1", false, "tunl0 stays (down, no address): the ipip module is in use by 1 other tunnel(s)")]
    [InlineData(null, false, "tunl0 stays (down, no address): the ipip module is built into this kernel")]
    public void Uninstall_unloads_ipip_for_tunl0_only_when_nothing_else_holds_it(string? refcnt, bool unloads, string says)
    {
        using var root = new TargetRoot();
        var bundle = bundles.BundleDir("n01");
        Assert.Equal(0, ExtractedBundles.Install(bundle, root).ExitCode);
        using var host = new FakeHost(root, bundle, ipipRefcnt: refcnt);

        var run = ExtractedBundles.InstallWithoutKey(bundle, root, ["uninstall", "--yes"], host.Environment);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains(says, run.Output, StringComparison.Ordinal);
        Assert.Equal(unloads, host.Calls.Contains("modprobe -r ipip"));
        if (unloads)
        {
            Assert.True(Array.IndexOf(host.Calls, "ip link set tunl0 down") < Array.IndexOf(host.Calls, "modprobe -r ipip"));
        }
    }

    [Fact]
    public void Uninstall_resets_the_node_in_kubeadm_resets_order_then_removes_the_files()
    {
        using var root = new TargetRoot();
        var bundle = bundles.BundleDir("n01");
        root.Write("etc/cni/net.d/99-other.conflist", "{}");
        Assert.Equal(0, ExtractedBundles.Install(bundle, root).ExitCode);
        root.Write("etc/cni/net.d/10-calico.conflist", "{}");
        root.Write("etc/cni/net.d/calico-kubeconfig", "secret");
        root.Write("var/lib/calico/nodename", "n01");
        using var host = new FakeHost(root, bundle);

        var run = ExtractedBundles.InstallWithoutKey(bundle, root, ["uninstall", "--yes"], host.Environment);

        Assert.True(run.ExitCode == 0, run.Output);
        var calls = host.Calls;
        int At(string prefix) => Array.FindIndex(calls, c => c.StartsWith(prefix, StringComparison.Ordinal)) is var i and >= 0 ? i : throw new Xunit.Sdk.XunitException($"no call {prefix}:\n{string.Join('\n', calls)}");
        var endpoint = $"--runtime-endpoint unix://{root.Path}{InstallerTests.Env(bundle, "KA_CONTAINERD_SOCKET")}";
        var kubelet = root.Path + InstallerTests.Env(bundle, "KA_KUBELET_DIR");

        Assert.True(At("systemctl stop kubelet") < At($"crictl {endpoint} --timeout 30s pods -q"));
        Assert.True(At($"crictl {endpoint} --timeout 30s stopp pod1") < At($"crictl {endpoint} --timeout 30s rmp -f pod1"));
        Assert.True(At($"crictl {endpoint} --timeout 30s rmp -f pod2") < At($"crictl {endpoint} --timeout 30s rm -f ctr1"));
        Assert.True(At($"crictl {endpoint} --timeout 30s rm -f ctr1") < At("umount "));
        Assert.Equal(
            [$"umount {kubelet}/pods/p1/volumes/kubernetes.io~projected/kube-api-access/nested",
             $"umount {kubelet}/pods/p1/volumes/kubernetes.io~projected/kube-api-access",
             $"umount {kubelet}/pods/p1/volumes/kubernetes.io~empty-dir/with space"],
            calls.Where(c => c.StartsWith("umount ", StringComparison.Ordinal)).ToArray());
        Assert.True(At("umount ") < At("systemctl stop containerd"));
        Assert.True(host.Shim.HasExited || WaitExit(host.Shim), "the shim left in containerd's cgroup was stopped");
        Assert.True(At("systemctl stop containerd") < At("ip -o link show"));

        Assert.Contains("ip link delete cali1a2b3c", calls);
        Assert.Contains("ip link delete vxlan.calico", calls);
        Assert.Contains("ip link set tunl0 down", calls);
        Assert.DoesNotContain(calls, c => c.Contains("eth0", StringComparison.Ordinal) && c != "ip -o link show" || c.Contains("delete docker0", StringComparison.Ordinal));
        Assert.Contains("nft delete table ip kube-proxy", calls);
        Assert.Contains("nft delete table ip6 kube-proxy", calls);
        Assert.Contains("nft delete table ip calico", calls);
        Assert.DoesNotContain("nft delete table inet filter", calls);
        Assert.Equal("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:MY-CHAIN - [0:0]\n-A INPUT -j MY-CHAIN\n-A MY-CHAIN -p tcp --dport 22 -j ACCEPT\nCOMMIT\n", host.Restored);

        Assert.False(File.Exists(root.Combine("etc/cni/net.d/10-calico.conflist")));
        Assert.False(File.Exists(root.Combine("etc/cni/net.d/calico-kubeconfig")));
        Assert.False(Directory.Exists(root.Combine("var/lib/calico")));
        Assert.True(File.Exists(root.Combine("etc/cni/net.d/99-other.conflist")), "CNI config that is not Calico's stays");
        Assert.False(File.Exists(root.Combine("etc/kubernetes/pki/ca.crt")));
    }

    [Fact]
    public void A_failing_step_is_reported_the_others_still_run_and_uninstall_exits_non_zero()
    {
        using var root = new TargetRoot();
        var bundle = bundles.BundleDir("n02");
        Assert.Equal(0, ExtractedBundles.Install(bundle, root).ExitCode);
        using var host = new FakeHost(root, bundle, crictlFails: "rmp");

        var run = ExtractedBundles.InstallWithoutKey(bundle, root, ["uninstall", "--yes"], host.Environment);

        Assert.True(run.ExitCode == 7, run.Output);
        Assert.Contains("uninstall step failed: remove pods and containers (CRI)", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("1 step(s) failed: remove pods and containers (CRI)", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("nft delete table ip kube-proxy", host.Calls);
        Assert.Contains("systemctl stop containerd", host.Calls);
        Assert.False(File.Exists(root.Combine("etc/kubernetes/pki/ca.crt")), "the files were still removed");
    }

    // VM run 6 (stop 16): the test's crictl could not list pods, the `for id in $(crictl pods -q)` read that as "no
    // pods", and after uninstall the container's processes were still running: the shim was killed, but a container's
    // processes live in the pod's cgroup, not in containerd's. A real runc container stands for it here.
    [Fact]
    public void A_container_crictl_could_not_list_is_stopped_through_runc_after_containerd()
    {
        NeedsRoot.Check("runs a real runc container");
        using var root = new TargetRoot();
        var bundle = bundles.BundleDir("n01");
        Assert.Equal(0, ExtractedBundles.Install(bundle, root).ExitCode);
        using var host = new FakeHost(root, bundle, crictlFails: "pods");
        File.Copy(RuncContainer.Runc, root.Path + InstallerTests.Env(bundle, "KA_BIN_DIR") + "/runc", overwrite: true);
        using var container = new RuncContainer(root.Path + InstallerTests.Env(bundle, "KA_RUNC_ROOT") + "/k8s.io");
        Assert.True(container.Alive, "the container runs before uninstall");

        var run = ExtractedBundles.InstallWithoutKey(bundle, root, ["uninstall", "--yes"], host.Environment);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.True(run.Stderr.Contains("crictl could not list the pod sandboxes", StringComparison.Ordinal), run.Output);
        Assert.DoesNotContain(host.Calls, c => c.Contains(" stopp ", StringComparison.Ordinal));
        var deleted = $"stop and delete container {container.Id} (runc, k8s.io)";
        Assert.Contains(deleted, run.Output, StringComparison.Ordinal);
        Assert.True(run.Output.IndexOf("stop containerd", StringComparison.Ordinal) < run.Output.IndexOf(deleted, StringComparison.Ordinal), run.Output);
        Assert.True(container.Gone(), $"process {container.Pid} of the container is gone");
        Assert.Empty(container.Listed());
    }

    [Fact]
    public void Containers_left_without_a_runc_to_stop_them_fail_the_step()
    {
        using var root = new TargetRoot();
        var bundle = bundles.BundleDir("n02");
        Assert.Equal(0, ExtractedBundles.Install(bundle, root).ExitCode);
        using var host = new FakeHost(root, bundle);
        File.Delete(root.Path + InstallerTests.Env(bundle, "KA_BIN_DIR") + "/runc");
        root.Write(InstallerTests.Env(bundle, "KA_RUNC_ROOT").TrimStart('/') + "/k8s.io/abc/state.json", "{}");

        var run = ExtractedBundles.InstallWithoutKey(bundle, root, ["uninstall", "--yes"], host.Environment);

        Assert.True(run.ExitCode == 7, run.Output);
        Assert.Contains("runc is not installed; containers under /run/containerd/runc are not stopped", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("1 step(s) failed: stop the containers containerd left running (runc)", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_crictl_pods_are_skipped_with_a_clear_message_and_the_rest_runs()
    {
        using var root = new TargetRoot();
        var bundle = bundles.BundleDir("n03");
        Assert.Equal(0, ExtractedBundles.Install(bundle, root).ExitCode);
        using var host = new FakeHost(root, bundle);
        File.Delete(root.Path + InstallerTests.Env(bundle, "KA_BIN_DIR") + "/crictl");

        var run = ExtractedBundles.InstallWithoutKey(bundle, root, ["uninstall", "--yes"], host.Environment);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("crictl is not installed; pods are not removed through CRI", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("systemctl stop containerd", host.Calls);
    }

    [Fact]
    public void Purge_deletes_only_data_directories_that_install_created_and_only_when_nothing_is_mounted_below()
    {
        using var root = new TargetRoot();
        var bundle = bundles.BundleDir("n01");
        var containerd = InstallerTests.Env(bundle, "KA_CONTAINERD_ROOT");
        var etcd = InstallerTests.Env(bundle, "KA_ETCD_DATA_DIR");
        root.Write(containerd.TrimStart('/') + "/foreign", "data that was here before kube-airgap");
        Assert.Equal(0, ExtractedBundles.Install(bundle, root).ExitCode);
        root.Write(etcd.TrimStart('/') + "/member/snap/db", "etcd");

        // Something still mounted below etcd's data dir: purge refuses it (exit 7) and deletes nothing there.
        using var mounts = new TempDirectory("kag-mounts");
        mounts.Write("proc/self/mountinfo", $"22 1 8:1 / / rw - ext4 /dev/sda1 rw\n50 22 0:60 / {root.Path}{etcd}/member rw - tmpfs tmpfs rw\n");
        var busy = ExtractedBundles.InstallWithoutKey(bundle, root, ["uninstall", "--yes", "--purge"], new Dictionary<string, string> { ["KA_PROC"] = mounts.Combine("proc") });
        Assert.True(busy.ExitCode == 7, busy.Output);
        Assert.Contains($"not deleting {etcd}: still mounted below it", busy.Stderr, StringComparison.Ordinal);
        Assert.True(File.Exists(root.Combine(etcd.TrimStart('/'), "member/snap/db")));
    }

    [Fact]
    public void Purge_keeps_a_data_directory_that_was_there_before_install()
    {
        using var root = new TargetRoot();
        var bundle = bundles.BundleDir("n01");
        var containerd = InstallerTests.Env(bundle, "KA_CONTAINERD_ROOT");
        var etcd = InstallerTests.Env(bundle, "KA_ETCD_DATA_DIR");
        root.Write(containerd.TrimStart('/') + "/foreign", "data that was here before kube-airgap");
        Assert.Equal(0, ExtractedBundles.Install(bundle, root).ExitCode);
        root.Write(etcd.TrimStart('/') + "/member/snap/db", "etcd");

        var run = ExtractedBundles.Install(bundle, root, "uninstall", "--yes", "--purge");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains($"keeping data directory {containerd}: install did not create it", run.Stdout, StringComparison.Ordinal);
        Assert.Equal("data that was here before kube-airgap", File.ReadAllText(root.Combine(containerd.TrimStart('/'), "foreign")));
        Assert.False(Directory.Exists(root.Combine(etcd.TrimStart('/'))));
    }

    /// <summary>A real runc container (busybox sleep, as the VM test's) under a runc state root, removed on dispose.</summary>
    private sealed class RuncContainer : IDisposable
    {
        public const string Runc = "/usr/sbin/runc";
        private readonly TempDirectory _bundle = new("kag-runc");
        private readonly string _state;

        public RuncContainer(string state)
        {
            _state = state;
            Id = "kag-" + Guid.NewGuid().ToString("N")[..12];
            Directory.CreateDirectory(_bundle.Combine("rootfs", "bin"));
            File.Copy("/bin/busybox", _bundle.Combine("rootfs", "bin", "busybox"));
            Cmd.Run(Runc, ["spec"], _bundle.Path).EnsureSuccess("runc spec");
            var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(_bundle.Combine("config.json")))!;
            config["process"]!["terminal"] = false;
            config["process"]!["args"] = new System.Text.Json.Nodes.JsonArray("/bin/busybox", "sleep", "3600");
            File.WriteAllText(_bundle.Combine("config.json"), config.ToJsonString());
            // the detached container inherits runc's stdio: /dev/null, so no pipe of the test stays open
            Cmd.Run("sh", ["-c", "\"$0\" --root \"$1\" run -d --pid-file \"$2\" \"$3\" </dev/null >/dev/null 2>runc.err || { cat runc.err >&2; exit 1; }",
                Runc, _state, _bundle.Combine("pid"), Id], _bundle.Path).EnsureSuccess("runc run");
            Pid = int.Parse(File.ReadAllText(_bundle.Combine("pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }

        public string Id { get; }

        public int Pid { get; }

        public bool Alive => File.Exists($"/proc/{Pid}/stat") && !File.ReadAllText($"/proc/{Pid}/stat").Split(") ")[^1].StartsWith('Z');

        public bool Gone()
        {
            for (var i = 0; i < 50 && Alive; i++)
            {
                Thread.Sleep(100);
            }

            return !Alive;
        }

        public string[] Listed() =>
            Cmd.Run(Runc, ["--root", _state, "list", "-q"]).EnsureSuccess("runc list").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        public void Dispose()
        {
            Cmd.Run(Runc, ["--root", _state, "delete", "--force", Id]);
            _bundle.Dispose();
        }
    }

    private static bool WaitExit(BackgroundProcess p)
    {
        for (var i = 0; i < 50 && !p.HasExited; i++)
        {
            Thread.Sleep(100);
        }

        return p.HasExited;
    }
}
