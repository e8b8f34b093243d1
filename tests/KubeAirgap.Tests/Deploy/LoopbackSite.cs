using System.Text;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Deploy;

/// <summary>
/// A site for the generated playbook on this machine: a copy of the bundle set's artifacts directory (the jump host's
/// view) and, per node, an Ansible host reached with ansible_connection=local whose stage directory, installer --root
/// and host facts (a fake /proc, /sys, /etc, /run and PATH tools, as the Installer tests use: this machine has no
/// systemd and no cgroup v2 root) are its own. <see cref="Inventory"/> is a second inventory, given after the
/// generated one, that says so per host; everything else comes from the generated files.
/// </summary>
public sealed class LoopbackSite : IDisposable
{
    private readonly TempDirectory _dir = new("kag-site");

    public LoopbackSite(string artifactsDir, IReadOnlyList<string> nodes, string cluster)
    {
        Cluster = cluster;
        Nodes = nodes;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Artifacts)!);
            Cmd.Run("cp", "-a", artifactsDir, Artifacts).EnsureSuccess("cp -a artifacts");
            foreach (var node in nodes)
            {
                MakeHost(node);
            }

            WriteInventory();
        }
        catch
        {
            _dir.Dispose();
            throw;
        }
    }

    public string Cluster { get; }

    public IReadOnlyList<string> Nodes { get; }

    /// <summary>artifacts/&lt;cluster&gt;/ as carried to the jump host.</summary>
    public string Artifacts => _dir.Combine("artifacts", Cluster);

    public string DeployDir => Path.Combine(Artifacts, "deploy");

    public string Inventory => _dir.Combine("loopback-hosts.yml");

    public string Host(string node, params string[] parts) => _dir.Combine(["hosts", node, .. parts]);

    public string Stage(string node) => Host(node, "stage");

    public string Root(string node) => Host(node, "root");

    public string Fake(string node, params string[] parts) => Host(node, ["fake", .. parts]);

    /// <summary>Runs the generated playbook from the deploy directory, with -v so that each task's result (rc, start,
    /// end, stdout, stderr) is printed.</summary>
    public Cmd.Result RunPlaybook(params string[] extra) =>
        DeployFiles.Ansible(
            "ansible-playbook",
            ["-v", "-i", "inventory.yml", "-i", Inventory, "playbook.yml", .. extra],
            DeployDir,
            TimeSpan.FromMinutes(15));

    private void MakeHost(string node)
    {
        Directory.CreateDirectory(Stage(node));
        Directory.CreateDirectory(Root(node));
        Directory.CreateDirectory(Host(node, "tmp"));
        Write(node, "proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n");
        Write(node, "proc/net/tcp", "  sl  local_address rem_address   st\n");
        Write(node, "proc/net/tcp6", "  sl  local_address rem_address   st\n");
        foreach (var module in new[] { "overlay", "br_netfilter", "nf_conntrack", "nf_tables", "ip_vs", "ip_vs_rr", "ip_vs_wrr", "ip_vs_sh", "ipip", "vxlan" })
        {
            Directory.CreateDirectory(Fake(node, "sys", "module", module));
        }

        Directory.CreateDirectory(Fake(node, "sys", "fs", "cgroup"));
        Directory.CreateDirectory(Fake(node, "run", "systemd", "system"));
        Write(node, "etc/resolv.conf", string.Empty);
        Write(node, "etc/systemd/timesyncd.conf", "[Time]\nNTP=127.0.0.1\n");

        // what a host of the kind the bundle is for has and this machine may not: statfs of the cgroup root says
        // cgroup2fs, a time daemon, kube-proxy's tools; nft lists no dropping input policy
        Tool(node, "stat", "if [ \"$1\" = -fc ] && [ \"$2\" = %T ]; then echo cgroup2fs; else exec /usr/bin/stat \"$@\"; fi");
        Tool(node, "chronyd", "exit 0");
        Tool(node, "nft", "exit 0");
        foreach (var tool in new[] { "conntrack", "socat", "ipset", "ip6tables", "iptables" })
        {
            if (Cmd.Bash($"command -v {tool}").ExitCode != 0)
            {
                Tool(node, tool, "exit 0");
            }
        }
    }

    /// <summary>Makes preflight fail on <paramref name="node"/>: its host has no running systemd.</summary>
    public void WithoutSystemd(string node) => Directory.Delete(Fake(node, "run", "systemd"), recursive: true);

    private void Write(string node, string relative, string text)
    {
        var path = Fake(node, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private void Tool(string node, string name, string body)
    {
        var path = Fake(node, "path", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "#!/bin/bash\n" + body + "\n");
        Cmd.Run("chmod", "0755", path).EnsureSuccess("chmod");
    }

    private void WriteInventory()
    {
        var text = new StringBuilder("all:\n  hosts:\n");
        foreach (var node in Nodes)
        {
            text.Append(
                $$"""
                    {{node}}:
                      ansible_connection: local
                      ansible_python_interpreter: /usr/bin/python3
                      kube_airgap_stage_dir: "{{Stage(node)}}"
                      kube_airgap_root: "{{Root(node)}}"
                      kube_airgap_environment:
                        PATH: "{{Fake(node, "path")}}:/usr/sbin:/usr/bin:/sbin:/bin"
                        KA_PROC: "{{Fake(node, "proc")}}"
                        KA_SYS: "{{Fake(node, "sys")}}"
                        KA_ETC: "{{Fake(node, "etc")}}"
                        KA_RUN: "{{Fake(node, "run")}}"
                        KA_LOG: "{{Host(node, "install.log")}}"
                        KA_TMPDIR: "{{Host(node, "tmp")}}"

                """);
        }

        File.WriteAllText(Inventory, text.ToString());
    }

    public void Dispose() => _dir.Dispose();
}
