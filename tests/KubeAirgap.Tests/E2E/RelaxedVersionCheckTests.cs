using KubeAirgap.Diagnostics;
using KubeAirgap.Render;
using KubeAirgap.Tests.Render.Fixtures;

namespace KubeAirgap.Tests.E2E;

/// <summary>The test-only setting the VM test and the Demo use to render Debian's containerd 1.6 for Kubernetes 1.36.</summary>
public sealed class RelaxedVersionCheckTests
{
    [Fact]
    public void Should_render_containerd_1_x_for_1_36_only_when_the_test_setting_relaxes_the_check()
    {
        // Given: pins with containerd 1.6.20 and Kubernetes 1.36.3
        var spec = RenderFixture.Inventory(["10.0.0.1", "10.0.0.2", "10.0.0.3"], "1.36.3");
        var node = spec.Nodes[0];

        // When / Then: refused by default, with the version table row named
        var error = Assert.Throws<InputException>(() => RenderFixture.Render(spec, RenderFixture.DebianPins, node));
        Assert.Contains("needs containerd 2.x", error.Message, StringComparison.Ordinal);

        // and rendered, with containerd 1.x's config version 2, when relaxed
        var files = RenderFixture.Render(spec, RenderFixture.DebianPins, node, RenderFixture.Options() with { RelaxSupportedVersions = true });
        Assert.Contains("version = 2", files.Content("etc/containerd/config.toml"), StringComparison.Ordinal);
    }
}
