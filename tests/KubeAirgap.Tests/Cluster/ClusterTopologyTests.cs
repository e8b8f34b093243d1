using KubeAirgap.Cluster;
using KubeAirgap.Layout;
using static KubeAirgap.Tests.Cluster.InventoryFixture;

namespace KubeAirgap.Tests.Cluster;

public sealed class ClusterTopologyTests
{
    private static ClusterTopology Topology(string yaml) => new(Check(yaml).Spec!);

    [Fact]
    public void Should_Derive_The_Guide_Values_From_The_Inventory()
    {
        var topology = Topology(Valid);

        Assert.Equal("10.254.0.1", topology.KubernetesServiceIp);
        Assert.Equal("10.254.0.2", topology.ClusterDnsIp);
        Assert.Equal(
            "k8s-01=https://192.168.93.45:2380,k8s-02=https://192.168.93.46:2380,k8s-03=https://192.168.93.47:2380",
            topology.EtcdInitialCluster);
        Assert.Equal(["https://192.168.93.45:2379", "https://192.168.93.46:2379", "https://192.168.93.47:2379"], topology.EtcdEndpoints);
        Assert.Equal(["192.168.93.45:6443", "192.168.93.46:6443", "192.168.93.47:6443"], topology.ApiServerUpstreams);
        Assert.Equal("https://127.0.0.1:8443", topology.LocalApiServerUrl);
        Assert.Equal("k8s-01", topology.FirstControlPlane!.Name);
        Assert.Equal(["amd64"], topology.Arches);
    }

    [Fact]
    public void Should_Follow_The_Inventory_When_It_Changes()
    {
        var yaml = With("serviceCidr: 10.254.0.0/16", "serviceCidr: 10.96.0.0/12")
            .Replace("localProxyPort: 8443", "localProxyPort: 9443", StringComparison.Ordinal)
            .Replace("roles: [etcd, control-plane, worker]\n  - name: k8s-03", "roles: [worker]\n  - name: k8s-03", StringComparison.Ordinal);

        var topology = Topology(yaml);

        Assert.Equal("10.96.0.1", topology.KubernetesServiceIp);
        Assert.Equal("10.96.0.2", topology.ClusterDnsIp);
        Assert.Equal("https://127.0.0.1:9443", topology.LocalApiServerUrl);
        Assert.Equal(["k8s-01", "k8s-03"], topology.EtcdNodes.Select(n => n.Name));
        Assert.Equal(["192.168.93.45:6443", "192.168.93.47:6443"], topology.ApiServerUpstreams);
        Assert.Equal(3, topology.WorkerNodes.Count);
    }

    [Fact]
    public void Should_Use_The_Configured_Dns_Ip_And_Bracket_Ipv6_Hosts()
    {
        var yaml = With("  proxyMode: nftables", "  proxyMode: nftables\n  dnsServiceIp: 10.254.0.10")
            .Replace("ip: 192.168.93.45", "ip: fd00::45", StringComparison.Ordinal);

        var topology = Topology(yaml);

        Assert.Equal("10.254.0.10", topology.ClusterDnsIp);
        Assert.StartsWith("k8s-01=https://[fd00::45]:2380,", topology.EtcdInitialCluster, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_Group_Nodes_With_The_Same_Arch_And_Roles_Into_One_Payload()
    {
        var yaml = With("arch: amd64\n    roles: [etcd, control-plane, worker]\n  - name: k8s-03", "arch: arm64\n    roles: [etcd, control-plane, worker]\n  - name: k8s-03");

        var keys = PayloadKey.AllOf(Check(yaml).Spec!);

        Assert.Equal(["amd64-etcd+control-plane+worker", "arm64-etcd+control-plane+worker"], keys.Select(k => k.Name));
    }
}
