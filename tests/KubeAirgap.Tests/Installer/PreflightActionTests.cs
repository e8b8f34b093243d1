using System.Text.RegularExpressions;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Installer;

/// <summary>
/// "Every failing check says what to do": preflight runs on fake hosts that between them fail every check, and
/// every <c>fail</c> call of lib/preflight.sh must be reached and must carry an action (its second argument, an
/// imperative), printed as "PROBLEM; ACTION". A new <c>fail</c> that no host here reaches, or one without an action,
/// fails the test.
/// </summary>
public sealed partial class PreflightActionTests
{
    /// <summary>The verbs an action may start with: what the operator does.</summary>
    private static readonly HashSet<string> Imperatives = new(StringComparer.Ordinal)
    {
        "add", "boot", "create", "free", "install", "run", "set", "start", "stop", "uninstall", "upgrade",
    };

    /// <summary>What the fake hosts' PATH holds of the real system: the text tools preflight reads with, nothing it checks for.</summary>
    private static readonly string[] BaseTools =
        ["awk", "basename", "cat", "cut", "date", "df", "dirname", "grep", "gzip", "head", "ls", "mkdir", "sed", "sort", "stat", "tail", "tr", "wc"];

    [GeneratedRegex(@"(?<![\w-])fail """)]
    private static partial Regex FailCall();

    private sealed record Host(string Name, Dictionary<string, string> Tools, Dictionary<string, string> Files, string Setup = "");

    private static Dictionary<string, string> Env(NodeShell shell, Host host)
    {
        var root = Path.Combine(shell.Fake, host.Name);
        var bin = Path.Combine(root, "path");
        Directory.CreateDirectory(bin);
        foreach (var tool in BaseTools.Where(t => !host.Tools.ContainsKey(t)))
        {
            var real = new[] { "/usr/bin", "/bin" }.Select(d => Path.Combine(d, tool)).First(File.Exists);
            File.CreateSymbolicLink(Path.Combine(bin, tool), real);
        }

        foreach (var (name, script) in host.Tools)
        {
            shell.Tool(name, script, bin);
        }

        foreach (var (relative, text) in host.Files)
        {
            var path = Path.Combine(root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text);
        }

        foreach (var dir in new[] { "sys/class/net/ens3", "sys/module", "etc", "run", "lib", "usr/lib", "boot" })
        {
            Directory.CreateDirectory(Path.Combine(root, dir));
        }

        return new Dictionary<string, string>
        {
            ["PATH"] = bin,
            ["KA_PROC"] = Path.Combine(root, "proc"),
            ["KA_SYS"] = Path.Combine(root, "sys"),
            ["KA_ETC"] = Path.Combine(root, "etc"),
            ["KA_RUN"] = Path.Combine(root, "run"),
            ["KA_BOOT"] = Path.Combine(root, "boot"),
            ["KA_LIB"] = Path.Combine(root, "lib"),
            ["KA_USR_LIB"] = Path.Combine(root, "usr/lib"),
        };
    }

    private const string NoSwap = "Filename\tType\tSize\tUsed\tPriority\n";

    /// <summary>Hosts that fail every check between them: A lacks everything, B has the wrong things, C an nftables drop policy.</summary>
    private static readonly Host[] Hosts =
    [
        new("a",
            new()
            {
                ["uname"] = "case \"$1\" in -m) echo aarch64 ;; *) echo 5.10.0-28-amd64 ;; esac",
                ["df"] = "echo 'Filesystem 1M-blocks Used Available Capacity Mounted'; echo '/dev/vda1 100 100 0 100% /'",
                ["ss"] = "case \"$*\" in *':2379') echo 'LISTEN 0 4096 127.0.0.1:2379 0.0.0.0:* users:((\"etcd\",pid=4242,fd=7))' ;; esac",
                ["firewall-cmd"] = "case \"$1\" in --state) echo running ;; --list-ports) echo '6443/tcp' ;; esac",
            },
            new()
            {
                ["proc/swaps"] = NoSwap,
                ["proc/net/tcp"] = "  sl  local_address rem_address   st\n   0: 0100007F:094B 00000000:0000 0A\n",
                ["sys/fs/selinux/enforce"] = "1",
                ["etc/resolv.conf"] = "nameserver 127.0.0.53\n",
            }),
        new("b",
            new()
            {
                ["uname"] = "case \"$1\" in -m) echo riscv64 ;; *) echo 6.1.0-40-amd64 ;; esac",
                ["modprobe"] = "exit 1",
                ["chronyd"] = "exit 0",
                ["getconf"] = "echo 'glibc 2.28'",
                ["ufw"] = "echo 'Status: active'",
            },
            new() { ["proc/swaps"] = NoSwap },
            "mkdir -p \"$(dirname \"$(state_file installed.env)\")\"; printf \"KA_CLUSTER='other'\\nKA_NODE='m07'\\nKA_VERSION_DIR='v0'\\n\" >\"$(state_file installed.env)\""),
        new("c",
            new()
            {
                ["uname"] = "case \"$1\" in -m) echo x86_64 ;; *) echo 6.1.0-40-amd64 ;; esac",
                ["nft"] = "echo 'table inet filter {'; echo '  chain input {'; echo '    type filter hook input priority filter; policy drop;'; echo '    tcp dport 22 accept'; echo '  }'; echo '}'",
            },
            new() { ["proc/swaps"] = NoSwap }),
    ];

    [Fact]
    public void Every_fail_of_preflight_is_reached_and_says_what_to_do()
    {
        using var shell = new NodeShell(change: s => s with { Network = s.Network with { CalicoIpAutodetection = "interface=eth0" } });
        var script = Repo.File("src", "installer", "lib", "preflight.sh");
        var sites = File.ReadAllLines(script)
            .Select((text, i) => (Line: i + 1, Text: text.Trim()))
            .Where(l => !l.Text.StartsWith('#') && FailCall().IsMatch(l.Text))
            .ToDictionary(l => l.Line, l => l.Text);
        Assert.True(sites.Count >= 20, $"{sites.Count} fail calls found in {script}");

        var calls = Path.Combine(shell.Fake, "fail-calls.tsv");
        var stderr = new List<string>();
        foreach (var host in Hosts)
        {
            var run = shell.Run($$"""
                eval "ka_real_$(declare -f fail)"
                fail() { printf '%s\t%s\t%s\t%s\n' "${BASH_SOURCE[1]##*/}" "${BASH_LINENO[0]}" "$#" "${2:-}" >>'{{calls}}'; ka_real_fail "$@"; }
                KA_KUBE_NGINX_GLIBC=2.34
                {{host.Setup}}
                if preflight_checks; then echo "preflight passed"; fi
                """, Env(shell, host), stubs: false);
            Assert.True(run.ExitCode == 0, $"host {host.Name}: {run.Output}");
            Assert.DoesNotContain("preflight passed", run.Stdout, StringComparison.Ordinal);
            stderr.AddRange(run.Stderr.Split('\n').Where(l => l.StartsWith("[FAIL]", StringComparison.Ordinal)));
        }

        var hits = File.ReadAllLines(calls).Select(l => l.Split('\t')).ToList();
        Assert.All(hits, h => Assert.Equal("preflight.sh", h[0]));
        var unreached = sites.Where(s => !hits.Any(h => h[1] == s.Key.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
        Assert.True(unreached.Count == 0, "no fake host reaches " + string.Join("\n", unreached.Select(s => $"preflight.sh:{s.Key}: {s.Value}")));
        Assert.All(hits, h =>
        {
            var where = $"preflight.sh:{h[1]}: {sites.GetValueOrDefault(int.Parse(h[1], System.Globalization.CultureInfo.InvariantCulture))}";
            Assert.True(h[2] == "2", $"{where}: fail takes PROBLEM ACTION, got {h[2]} argument(s)");
            var verb = h[3].Split(' ', 2)[0].TrimEnd(':');
            Assert.True(Imperatives.Contains(verb), $"{where}: the action '{h[3]}' does not start with one of {string.Join(", ", Imperatives)}");
        });
        Assert.Equal(hits.Count, stderr.Count);
        Assert.All(stderr, l => Assert.Matches(@"^\[FAIL\]  .+; \S+ .+", l));

        // the actions the audit asked for, each with what this host has
        var text = string.Join('\n', stderr);
        Assert.Contains("[FAIL]  kernel modules: overlay br_netfilter nf_conntrack neither loaded, built in nor loadable; install kmod (Debian and RHEL: kmod)", text, StringComparison.Ordinal);
        Assert.Contains("so that modprobe overlay br_netfilter nf_conntrack finds them (Debian: apt-get install linux-image-6.1.0-40-amd64; RHEL: dnf install kernel-modules-6.1.0-40-amd64), or boot a kernel built with CONFIG_OVERLAY_FS, CONFIG_BRIDGE_NETFILTER, CONFIG_NF_CONNTRACK=y or =m", text, StringComparison.Ordinal);
        Assert.Contains("[FAIL]  ports in use: 2379 by etcd (pid 4242) (needed: ", text, StringComparison.Ordinal);
        Assert.Contains("; stop what holds them (ss -ltnp", text, StringComparison.Ordinal);
        Assert.Contains("[FAIL]  glibc 2.28 is older than 2.34, which kube-nginx needs; run this node on a release with glibc >= 2.34", text, StringComparison.Ordinal);
        Assert.Contains("or one built on a host whose glibc is 2.28 or older", text, StringComparison.Ordinal);
        Assert.Contains("[FAIL]  arch: this host is arm64, the bundle is for amd64; set arch: arm64 for n01 in the inventory and rebuild the bundles", text, StringComparison.Ordinal);
        Assert.Contains("[FAIL]  arch: this host is riscv64, the bundle is for amd64; run it on a host of arch amd64", text, StringComparison.Ordinal);
        Assert.Contains("[FAIL]  installed: other/m07 is installed here, this bundle is for t/n01; uninstall it first (/opt/kube-airgap/uninstall.sh", text, StringComparison.Ordinal);
        Assert.Contains("[FAIL]  firewall (nftables, input policy drop) has no rule for tcp/2379 tcp/2380 tcp/6443 tcp/10250 tcp/179 ipip that other nodes need; add to the input chain in /etc/nftables.conf: tcp dport 2379 accept;", text, StringComparison.Ordinal);
    }
}
