using KubeAirgap.Cluster;
using KubeAirgap.Roles;

namespace KubeAirgap.Tests.Installer;

/// <summary>lib/layout.env as the installer sees it: the facts of one node from the one table of node needs (NodeRequirements).</summary>
public sealed class LayoutEnvTests
{
    private static string Echo(NodeShell shell, string expression)
    {
        var run = shell.Run($"printf '%s' \"{expression}\"", stubs: false);
        Assert.True(run.ExitCode == 0, run.Output);
        return run.Stdout;
    }

    [Fact]
    public void Each_unit_lists_its_own_restart_inputs_and_nothing_of_the_others()
    {
        using var shell = new NodeShell();
        var proxy = Echo(shell, "$(entry_of kube-proxy \"${KA_UNIT_INPUTS[@]}\")").Split(' ');
        var etcd = Echo(shell, "$(entry_of etcd \"${KA_UNIT_INPUTS[@]}\")").Split(' ');

        Assert.Equal(["bin/kube-proxy", "etc/systemd/system/kube-proxy.service", "etc/kubernetes/kube-proxy.conf", "etc/kubernetes/kube-proxy.yaml"], proxy);
        Assert.Contains("pki/etcd/peer.key", etcd);
        Assert.Contains("pki/etcd/server.crt", etcd);
        Assert.All(etcd, p => Assert.True(p.StartsWith("pki/etcd/", StringComparison.Ordinal) || p.Contains("etcd", StringComparison.Ordinal), p));
    }

    [Fact]
    public void Peers_ports_and_tools_follow_the_nodes_roles_and_the_proxy_mode()
    {
        using var shell = new NodeShell("n02");
        Assert.Equal("n01=127.0.1.1:2380 n03=127.0.1.3:2380", Echo(shell, "${KA_ETCD_PEERS}"));
        Assert.Equal("tcp/2379 tcp/2380 tcp/6443 tcp/10250 tcp/179 ipip", Echo(shell, "${KA_INBOUND_PORTS}"));
        Assert.Equal("conntrack socat mount ip nft|5.13", Echo(shell, "${KA_TOOLS}|${KA_MIN_KERNEL}"));
        Assert.Equal("127.0.1.2:6443", Echo(shell, "${KA_APISERVER_ADDRESS}"));

        using var iptables = new NodeShell(change: s => s with { Network = s.Network with { ProxyMode = "iptables" } });
        Assert.Equal("conntrack socat mount ip iptables ip6tables|", Echo(iptables, "${KA_TOOLS}|${KA_MIN_KERNEL}"));
    }

    [Fact]
    public void Inbound_ports_of_control_plane_only_and_worker_only_nodes_are_their_roles_ports_only()
    {
        static ClusterSpec Split(ClusterSpec s) => s with
        {
            Nodes =
            [
                .. s.Nodes.Select(n => n with { Roles = new HashSet<NodeRole> { NodeRole.Etcd, NodeRole.ControlPlane } }),
                new NodeSpec("n04", "127.0.1.4", "amd64", new HashSet<NodeRole> { NodeRole.Worker }),
            ],
        };

        using var controlPlane = new NodeShell("n01", Split);
        Assert.Equal("tcp/2379 tcp/2380 tcp/6443", Echo(controlPlane, "${KA_INBOUND_PORTS}"));
        Assert.Equal("|", Echo(controlPlane, "${KA_MODULES}|${KA_NM_UNMANAGED}"));

        using var worker = new NodeShell("n04", Split);
        Assert.Equal("tcp/10250 tcp/179 ipip", Echo(worker, "${KA_INBOUND_PORTS}"));

        using var apiserverPort = new NodeShell("n02", s => Split(s) with { ApiServer = s.ApiServer with { SecurePort = 8443 } });
        Assert.Equal("tcp/2379 tcp/2380 tcp/8443", Echo(apiserverPort, "${KA_INBOUND_PORTS}"));
    }
}
