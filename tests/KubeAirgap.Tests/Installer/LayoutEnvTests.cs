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
}
