using KubeAirgap.Tests.Render.Fixtures;

namespace KubeAirgap.Tests.Render;

/// <summary>pki.caKeyOnNodes decides whether the controller-manager signs kubelet CSRs with the cluster CA key.</summary>
public sealed class CaSignerTests
{
    private static readonly string[] Ips = ["10.0.0.1", "10.0.0.2", "10.0.0.3"];

    [Fact]
    public void Should_Pass_The_Signing_Flags_Only_When_The_Ca_Key_Travels()
    {
        // Given
        var withKey = RenderFixture.Inventory(Ips, "1.36.3");
        var withoutKey = withKey with { Pki = withKey.Pki with { CaKeyOnNodes = false } };

        // When
        var on = RenderFixture.Render(withKey, RenderFixture.ShippedPins, withKey.Nodes[0]).Content("etc/systemd/system/kube-controller-manager.service");
        var off = RenderFixture.Render(withoutKey, RenderFixture.ShippedPins, withoutKey.Nodes[0]).Content("etc/systemd/system/kube-controller-manager.service");

        // Then
        Assert.Contains("--cluster-signing-key-file=/etc/kubernetes/pki/ca.key", on, StringComparison.Ordinal);
        Assert.DoesNotContain("--cluster-signing", off, StringComparison.Ordinal);
        Assert.DoesNotContain("ca.key", off, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_Bind_The_Admin_Group_To_Cluster_Admin()
    {
        var spec = RenderFixture.Inventory(Ips, "1.36.3");

        var rbac = RenderFixture.Render(spec, RenderFixture.ShippedPins, spec.Nodes[0]).Content("addons/kubelet-api-rbac.yaml");

        Assert.Contains("kind: Group\n    name: kubeadm:cluster-admins", rbac, StringComparison.Ordinal);
        Assert.Contains("name: kube-apiserver-kubelet-client", rbac, StringComparison.Ordinal);
    }
}
