using KubeAirgap.Layout;
using KubeAirgap.Roles;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Installer;

/// <summary>
/// preflight against fake /proc, /sys, /etc trees (KA_PROC, KA_SYS, KA_ETC, KA_RUN) and PATH tools: every failure is
/// printed with what to do; built-in modules count; active swap is something install fixes; the proxy mode's tools
/// and kernel, Calico's interface, the host firewall, SELinux, time servers and DNS are checked.
/// </summary>
public sealed class PreflightTests(ExtractedBundles bundles) : IClassFixture<ExtractedBundles>
{
    [Fact]
    public void Every_failing_check_is_printed_and_built_in_modules_count_as_present()
    {
        using var fake = new TempDirectory("kag-proc");
        fake.Write("proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n/swapfile file 1024 0 -2\n");
        fake.Write("proc/net/tcp", "  sl  local_address rem_address   st\n   0: 0100007F:280A 00000000:0000 0A\n   1: 0100007F:094B 00000000:0000 0A\n   2: 0100007F:1F90 00000000:0000 01\n");
        Cmd.Bash("printf 'CONFIG_OVERLAY_FS=y\\nCONFIG_BRIDGE_NETFILTER=y\\nCONFIG_NF_CONNTRACK=y\\n' | gzip -c > proc/config.gz", fake.Path).EnsureSuccess("config.gz");
        Directory.CreateDirectory(fake.Combine("sys/fs/cgroup"));
        Directory.CreateDirectory(fake.Combine("sys/module"));
        var env = new Dictionary<string, string> { ["KA_PROC"] = fake.Combine("proc"), ["KA_SYS"] = fake.Combine("sys"), ["PATH"] = "/usr/bin:/bin" };

        var run = Cmd.Run("bash", [Path.Combine(bundles.BundleDir("n01"), "install.sh"), "preflight", "--pubkey", bundles.PubKey], environment: env);

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("PASS  arch amd64", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("PASS  kernel modules: overlay br_netfilter nf_conntrack", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("NOTE  swap: 1 swap device(s) active; install turns swap off for good", run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("[FAIL]  swap", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("[FAIL]  cgroup:", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("[FAIL]  ports in use: 2379 10250 (needed:", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("check(s) failed for t/n01", run.Stderr, StringComparison.Ordinal);
        Assert.True(run.Stderr.Split("[FAIL]").Length - 1 >= 3, run.Output);
    }

    [Fact]
    public void A_module_neither_loaded_nor_built_in_fails()
    {
        using var fake = new TempDirectory("kag-proc");
        fake.Write("proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n");
        Cmd.Bash("printf 'CONFIG_OVERLAY_FS=y\\n# CONFIG_BRIDGE_NETFILTER is not set\\nCONFIG_NF_CONNTRACK=y\\n' | gzip -c > proc/config.gz", fake.Path).EnsureSuccess("config.gz");
        Directory.CreateDirectory(fake.Combine("sys/module/overlay"));
        var env = new Dictionary<string, string> { ["KA_PROC"] = fake.Combine("proc"), ["KA_SYS"] = fake.Combine("sys"), ["PATH"] = "/usr/bin:/bin" };

        var run = Cmd.Run("bash", [Path.Combine(bundles.BundleDir("n02"), "install.sh"), "preflight", "--pubkey", bundles.PubKey], environment: env);

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("[FAIL]  kernel modules: br_netfilter neither loaded, built in nor loadable", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("PASS  swap is off", run.Stdout, StringComparison.Ordinal);
    }

    /// <summary>A PATH holding only <paramref name="tools"/> (each exits 0; uname prints <paramref name="kernel"/>) before /usr/bin:/bin.</summary>
    private static Dictionary<string, string> HostWith(NodeShell shell, string kernel, params string[] tools)
    {
        var bin = Path.Combine(shell.Fake, "path");
        shell.Tool("uname", $"echo '{kernel}'", bin);
        foreach (var t in tools)
        {
            shell.Tool(t, "exit 0", bin);
        }

        return new Dictionary<string, string>
        {
            ["PATH"] = $"{bin}:/usr/bin:/bin",
            ["KA_SYS"] = Path.Combine(shell.Fake, "sys"),
            ["KA_PROC"] = Path.Combine(shell.Fake, "proc"),
            ["KA_ETC"] = Path.Combine(shell.Fake, "etc"),
            ["KA_RUN"] = Path.Combine(shell.Fake, "run"),
        };
    }

    private static void Write(NodeShell shell, string relative, string text)
    {
        var path = Path.Combine(shell.Fake, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    [Fact]
    public void Nftables_mode_needs_nft_and_kernel_5_13_and_names_the_packages()
    {
        using var shell = new NodeShell();
        var old = shell.Run("check_tools; check_kernel", HostWith(shell, "5.10.0-28-amd64", "conntrack", "socat", "mount", "ip", "iptables"), stubs: false);

        Assert.Contains("[FAIL]  host tool nft missing (kube-proxy mode nftables); install it (Debian: apt-get install nftables; RHEL: dnf install nftables)", old.Stderr, StringComparison.Ordinal);
        Assert.Contains("[FAIL]  kernel 5.10.0-28-amd64 is older than 5.13, which kube-proxy's nftables mode needs", old.Stderr, StringComparison.Ordinal);

        var good = shell.Run("check_tools; check_kernel; [ \"${PREFLIGHT_FAILED}\" = 0 ]", HostWith(shell, "6.1.0-40-amd64", "conntrack", "socat", "mount", "ip", "nft"), stubs: false);
        Assert.True(good.ExitCode == 0, good.Output);
        Assert.Contains("PASS  kernel 6.1.0-40-amd64 (kube-proxy mode nftables needs >= 5.13)", good.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Iptables_mode_needs_iptables_ip6tables_and_conntrack_not_nft_or_a_new_kernel()
    {
        using var shell = new NodeShell(change: s => s with { Network = s.Network with { ProxyMode = "iptables" } });
        var run = shell.Run("check_tools; check_kernel", HostWith(shell, "4.19.0-26-amd64", "socat", "mount", "ip", "ip6tables"), stubs: false);

        Assert.Contains("[FAIL]  host tool conntrack missing (kube-proxy mode iptables); install it (Debian: apt-get install conntrack; RHEL: dnf install conntrack-tools)", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("[FAIL]  host tool iptables missing (kube-proxy mode iptables); install it (Debian: apt-get install iptables; RHEL: dnf install iptables-nft)", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("nft ", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("kernel", run.Output, StringComparison.Ordinal);
        Assert.Equal(2, run.Stderr.Split("[FAIL]").Length - 1);
    }

    [Fact]
    public void Calicos_interface_autodetection_must_match_an_interface_of_this_host()
    {
        using var shell = new NodeShell(change: s => s with { Network = s.Network with { CalicoIpAutodetection = "interface=eth0" } });
        var env = HostWith(shell, "6.1.0");
        Directory.CreateDirectory(Path.Combine(shell.Fake, "sys/class/net/ens3"));
        Directory.CreateDirectory(Path.Combine(shell.Fake, "sys/class/net/lo"));

        var missing = shell.Run("check_calico_interface", env, stubs: false);
        Assert.Contains("[FAIL]  Calico autodetection interface=eth0 matches none of this host's interfaces (ens3 lo)", missing.Stderr, StringComparison.Ordinal);
        Assert.Contains("set network.calicoIpAutodetection in cluster.yaml", missing.Stderr, StringComparison.Ordinal);

        Directory.CreateDirectory(Path.Combine(shell.Fake, "sys/class/net/eth0"));
        var present = shell.Run("check_calico_interface", env, stubs: false);
        Assert.Contains("PASS  Calico autodetection interface=eth0: eth0", present.Stdout, StringComparison.Ordinal);

        using var other = new NodeShell(change: s => s with { Network = s.Network with { CalicoIpAutodetection = "kubernetes-internal-ip" } });
        Assert.Empty(other.Run("check_calico_interface", env, stubs: false).Output);
    }

    [Fact]
    public void A_host_firewall_must_open_the_ports_of_the_nodes_roles_and_calicos_mode()
    {
        using var shell = new NodeShell();
        var env = HostWith(shell, "6.1.0");
        var bin = env["PATH"].Split(':')[0];
        shell.Tool("firewall-cmd", "case \"$1\" in --state) echo running ;; --list-ports) echo '6443/tcp 10250/tcp' ;; esac", bin);

        var closed = shell.Run("check_firewall", env, stubs: false);
        Assert.Contains("[FAIL]  firewall (firewalld) does not open tcp/2379 tcp/2380 tcp/179 ipip that other nodes need; run: firewall-cmd --permanent --add-port=2379/tcp; firewall-cmd --permanent --add-port=2380/tcp; firewall-cmd --permanent --add-port=179/tcp; firewall-cmd --permanent --add-protocol=4; firewall-cmd --reload", closed.Stderr, StringComparison.Ordinal);

        shell.Tool("firewall-cmd", "case \"$1\" in --state) echo running ;; --list-ports) echo '2379/tcp 2380/tcp 6443/tcp 10250/tcp 179/tcp' ;; --list-protocols) echo ipencap ;; esac", bin);
        var open = shell.Run("check_firewall", env, stubs: false);
        Assert.Contains("PASS  firewall (firewalld) allows tcp/2379, tcp/2380, tcp/6443, tcp/10250, tcp/179, ipip", open.Stdout, StringComparison.Ordinal);

        File.Delete(Path.Combine(bin, "firewall-cmd"));
        shell.Tool("ufw", "echo 'Status: active'; echo; echo '6443/tcp ALLOW Anywhere'", bin);
        var ufw = shell.Run("check_firewall", env, stubs: false);
        Assert.Contains("[FAIL]  firewall (ufw) does not allow tcp/2379 tcp/2380 tcp/10250 tcp/179 ipip", ufw.Stderr, StringComparison.Ordinal);
        Assert.Contains("ufw allow 2379/tcp;", ufw.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_nftables_input_policy_of_drop_must_accept_the_ports_and_a_policy_of_accept_is_no_firewall()
    {
        using var shell = new NodeShell();
        var env = HostWith(shell, "6.1.0");
        var bin = env["PATH"].Split(':')[0];
        var ruleset = Path.Combine(shell.Fake, "ruleset.nft");
        shell.Tool("nft", $"[ \"$*\" = 'list ruleset' ] || exit 1; cat '{ruleset}'", bin);
        void Ruleset(string policy, string rules) =>
            File.WriteAllText(ruleset, $"table inet filter {{\n\tchain input {{\n\t\ttype filter hook input priority filter; policy {policy};\n{rules}\t}}\n}}\n");

        Ruleset("drop", "\t\tct state established,related accept\n\t\ttcp dport { 22, 2379, 2380, 6443 } accept\n\t\tip protocol 4 accept\n");
        var closed = shell.Run("check_firewall", env, stubs: false);
        Assert.Contains("[FAIL]  firewall (nftables, input policy drop) has no rule for tcp/10250 tcp/179 that other nodes need; add to the input chain in /etc/nftables.conf: tcp dport 10250 accept; tcp dport 179 accept; then nft -f /etc/nftables.conf", closed.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, closed.Stderr.Split("[FAIL]").Length - 1);

        Ruleset("drop", "\t\ttcp dport { 2379, 2380, 6443, 10250, 179 } accept\n\t\tip protocol 4 accept\n");
        var open = shell.Run("check_firewall", env, stubs: false);
        Assert.Contains("PASS  firewall (nftables) allows tcp/2379, tcp/2380, tcp/6443, tcp/10250, tcp/179, ipip", open.Stdout, StringComparison.Ordinal);
        Assert.Empty(open.Stderr);

        Ruleset("accept", string.Empty);
        var none = shell.Run("check_firewall", env, stubs: false);
        Assert.Contains("PASS  firewall: no firewalld, ufw or dropping nftables input policy active", none.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Networkmanager_is_a_note_until_calicos_drop_in_is_there_and_nothing_on_a_node_without_calico()
    {
        using var shell = new NodeShell();
        var env = HostWith(shell, "6.1.0");
        Assert.Contains("PASS  NetworkManager: not installed", shell.Run("check_networkmanager", env, stubs: false).Stdout, StringComparison.Ordinal);

        Directory.CreateDirectory(Path.Combine(shell.Fake, "etc/NetworkManager/conf.d"));
        var managed = shell.Run("check_networkmanager; echo \"failed=${PREFLIGHT_FAILED}\"", env, stubs: false);
        Assert.Contains($"NOTE  NetworkManager: install adds {NodeRequirements.NetworkManagerDropIn} (Calico's drop-in: unmanaged cali*, tunl*, vxlan.calico)", managed.Stdout, StringComparison.Ordinal);
        Assert.Contains("failed=0", managed.Stdout, StringComparison.Ordinal);

        Write(shell, "etc" + NodeRequirements.NetworkManagerDropIn["/etc".Length..], "[keyfile]\nunmanaged-devices=interface-name:cali*\n");
        var dropIn = shell.Run("check_networkmanager", env, stubs: false);
        Assert.Contains($"PASS  NetworkManager: {NodeRequirements.NetworkManagerDropIn} keeps it off Calico's interfaces", dropIn.Stdout, StringComparison.Ordinal);

        using var controlPlane = new NodeShell(change: s => s with
        {
            Nodes = s.Nodes.Select(n => n.Name == "n01" ? n with { Roles = new HashSet<NodeRole> { NodeRole.Etcd, NodeRole.ControlPlane } } : n).ToList(),
        });
        Directory.CreateDirectory(Path.Combine(controlPlane.Fake, "etc/NetworkManager"));
        var run = controlPlane.Run("check_networkmanager", HostWith(controlPlane, "6.1.0"), stubs: false);
        Assert.True(run.ExitCode == 0 && run.Output.Length == 0, run.Output);
    }

    [Fact]
    public void Selinux_time_servers_and_dns_failures_say_what_to_do()
    {
        using var shell = new NodeShell();
        var env = HostWith(shell, "6.1.0", "chronyd");
        Write(shell, "sys/fs/selinux/enforce", "1");
        Write(shell, "etc/resolv.conf", "nameserver 127.0.0.53\n");
        Write(shell, "proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n/dev/zram0 partition 1024 0 100\n");

        var bad = shell.Run("check_selinux; check_time_sync; check_dns; check_swap; echo \"failed=${PREFLIGHT_FAILED}\"", env, stubs: false);

        Assert.Contains("[FAIL]  SELinux is enforcing", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("setenforce 0 and set SELINUX=permissive in /etc/selinux/config", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("[FAIL]  time sync: chronyd has no NTP server configured; add 'server <ntp-ip> iburst' to /etc/chrony/chrony.conf", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("[FAIL]  DNS: /etc/resolv.conf points at systemd-resolved's stub (127.0.0.53) but /run/systemd/resolve/resolv.conf is missing", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("NOTE  swap: 1 swap device(s) active; install turns swap off for good", bad.Stdout, StringComparison.Ordinal);
        Assert.Contains("failed=3", bad.Stdout, StringComparison.Ordinal);

        Write(shell, "sys/fs/selinux/enforce", "0");
        Write(shell, "etc/chrony/chrony.conf", "# site NTP\nserver 10.20.0.1 iburst\n");
        Write(shell, "run/systemd/resolve/resolv.conf", "nameserver 10.20.0.53\n");
        var good = shell.Run("check_selinux; check_time_sync; check_dns; echo \"failed=${PREFLIGHT_FAILED}\"", env, stubs: false);

        Assert.Contains("PASS  SELinux: permissive", good.Stdout, StringComparison.Ordinal);
        Assert.Contains("PASS  time sync: chronyd, servers 10.20.0.1", good.Stdout, StringComparison.Ordinal);
        Assert.Contains("PASS  DNS: systemd-resolved; kubelet gets /run/systemd/resolve/resolv.conf through /etc/kubernetes/resolv.conf", good.Stdout, StringComparison.Ordinal);
        Assert.Contains("failed=0", good.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Shellcheck_passes_on_every_installer_script()
    {
        var dir = Repo.File("src", "installer");
        var scripts = Directory.GetFiles(Path.Combine(dir, "lib"), "*.sh").Prepend(Path.Combine(dir, "install.sh")).ToList();
        Assert.True(scripts.Count >= 6);
        var run = Cmd.Run("shellcheck", ["-x", "--severity=style", .. scripts], dir);
        Assert.True(run.ExitCode == 0, run.Output);
    }
}
