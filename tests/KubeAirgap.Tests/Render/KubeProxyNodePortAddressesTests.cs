using KubeAirgap.Tests.Render.Fixtures;
using static KubeAirgap.Tests.Cluster.InventoryFixture;

namespace KubeAirgap.Tests.Render;

/// <summary>
/// network.nodePortAddresses is read by kube-proxy alone, so a change to it must change kube-proxy's config and no
/// other rendered file (the VM test's targeted-restart scenario builds its second bundle from exactly this change).
/// </summary>
public sealed class KubeProxyNodePortAddressesTests
{
    private static readonly string[] Ips = ["10.0.0.1", "10.0.0.2", "10.0.0.3"];

    [Fact]
    public void Should_Change_Only_Kube_Proxys_Config()
    {
        // Given
        var before = RenderFixture.Inventory(Ips, "1.36.3");
        var after = before with { Network = before.Network with { NodePortAddresses = ["10.0.0.0/24", "192.168.0.0/16"] } };

        // When
        var old = RenderFixture.Render(before, RenderFixture.ShippedPins, before.Nodes[0]);
        var changed = RenderFixture.Render(after, RenderFixture.ShippedPins, after.Nodes[0]);

        // Then
        var differing = old.Zip(changed).Where(p => p.First.Path != p.Second.Path || p.First.Content != p.Second.Content)
            .Select(p => p.Second.Path).ToList();
        Assert.Equal(old.Count, changed.Count);
        Assert.Equal(["etc/kubernetes/kube-proxy.yaml"], differing);
        Assert.Contains("nodePortAddresses:\n  - 10.0.0.0/24\n  - 192.168.0.0/16\n", changed.Content("etc/kubernetes/kube-proxy.yaml"), StringComparison.Ordinal);
        Assert.DoesNotContain("nodePortAddresses", old.Content("etc/kubernetes/kube-proxy.yaml"), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_Refuse_An_Entry_That_Is_Not_A_Cidr()
    {
        var (_, diagnostics) = Check(With("  proxyMode: nftables", "  proxyMode: nftables\n  nodePortAddresses: [10.0.0.0/24, eth0]"));

        var error = Assert.Single(diagnostics);
        Assert.Contains("network.nodePortAddresses[1]", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("'eth0' is not a CIDR", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_Load_The_Field_From_Cluster_Yaml()
    {
        var (spec, diagnostics) = Check(With("  proxyMode: nftables", "  proxyMode: nftables\n  nodePortAddresses: [10.0.0.0/24]"));

        Assert.Empty(diagnostics);
        Assert.Equal(["10.0.0.0/24"], spec!.Network.NodePortAddresses);
    }
}
