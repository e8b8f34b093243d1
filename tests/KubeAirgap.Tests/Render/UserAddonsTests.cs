using KubeAirgap.Bundle.Manifests;
using KubeAirgap.Bundle;
using KubeAirgap.Cluster;
using KubeAirgap.Diagnostics;
using KubeAirgap.Images;
using KubeAirgap.Layout;
using KubeAirgap.Render;
using KubeAirgap.Tests.Render.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Render;

/// <summary>Issue 18 point 6: cluster.yaml addons.extra brings the user's own manifests and, through them, their images.</summary>
public sealed class UserAddonsTests : IDisposable
{
    private const string PinnedDb = "registry.example.com/shop/db:16@sha256:2222222222222222222222222222222222222222222222222222222222222222";
    private const string UnpinnedWeb = "registry.example.com/shop/web:2.0";

    private readonly TempDirectory _dir = new("kag-user-addons");

    public UserAddonsTests()
    {
        // cluster.yaml in its own folder, naming a directory of manifests and a single file, relative to itself
        _dir.Write("site/manifests/web.yaml", $"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: {UnpinnedWeb}\n");
        _dir.Write("site/manifests/db/db.yml", $"apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  template:\n    spec:\n      containers:\n      - name: db\n        image: \"{PinnedDb}\"\n");
        _dir.Write("site/manifests/notes.txt", "not a manifest\n");
        _dir.Write("site/extra/namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n");
        var shipped = File.ReadAllText(Repo.File("cluster.yaml"));
        _dir.Write("site/cluster.yaml", shipped.Replace("addons:\n  extra: []", "addons:\n  extra: [manifests, ./extra/namespace.yaml]", StringComparison.Ordinal));
    }

    private string ClusterFile => _dir.Combine("site", "cluster.yaml");

    [Fact]
    public void Should_copy_the_manifests_after_the_core_add_ons_in_the_order_listed()
    {
        // Given
        var spec = ClusterLoader.LoadValid(ClusterFile, RenderFixture.ShippedPins);

        // When
        var files = RenderFixture.Render(spec, RenderFixture.ShippedPins, spec.Nodes[0]);

        // Then: the YAML files of the directory (recursively) and the single file, byte for byte, below addons/user/
        var user = files.Where(f => f.Path.StartsWith("addons/user/", StringComparison.Ordinal)).Select(f => f.Path).ToList();
        Assert.Equal(["addons/user/00-manifests/db/db.yml", "addons/user/00-manifests/web.yaml", "addons/user/01-namespace.yaml"], user);
        Assert.Equal(File.ReadAllText(_dir.Combine("site/manifests/web.yaml")), files.Content("addons/user/00-manifests/web.yaml"));

        // and the installer's `kubectl apply -R -f addons/` (name order) reaches them after every core add-on
        var core = files.Where(f => f.Path.StartsWith("addons/", StringComparison.Ordinal) && !user.Contains(f.Path)).Select(f => f.Path).ToList();
        Assert.NotEmpty(core);
        Assert.All(core, c => Assert.True(string.CompareOrdinal(c, user[0]) < 0, $"{c} sorts after {user[0]}"));
    }

    [Fact]
    public void Should_add_their_images_to_the_image_plan_plan_and_sbom_and_flag_the_unpinned_one()
    {
        // Given
        var bag = new DiagnosticBag();
        var spec = ClusterLoader.Load(ClusterFile, bag)!;

        // When
        var diagnostics = ClusterValidator.Validate(spec, RenderFixture.ShippedPins);
        var plan = ImagePlan.For(PayloadKey.Of(spec.Nodes[0]), spec, RenderFixture.ShippedPins).Select(r => r.ToString()).ToList();
        var sbom = System.Text.Encoding.UTF8.GetString(Sbom.Render(spec, RenderFixture.ShippedPins, 1700000000));

        // Then: found by the completeness scanner, planned for the node, listed in the SBOM
        Assert.Contains(plan, p => p.Contains("registry.example.com/shop/web:2.0", StringComparison.Ordinal));
        Assert.Contains(plan, p => p.Contains("2222222222222222222222222222222222222222222222222222222222222222", StringComparison.Ordinal));
        Assert.Contains(UnpinnedWeb, sbom, StringComparison.Ordinal);
        Assert.Contains(PinnedDb, sbom, StringComparison.Ordinal);

        // and the tag-only image is a warning at the line that names it; no errors
        Assert.DoesNotContain(diagnostics, d => d.Severity == Severity.Error);
        var warning = Assert.Single(diagnostics, d => d.Message.Contains(UnpinnedWeb, StringComparison.Ordinal));
        Assert.Equal(Severity.Warning, warning.Severity);
        Assert.EndsWith("web.yaml", warning.File, StringComparison.Ordinal);
        Assert.Equal(10, warning.Line);
    }

    [Fact]
    public void Should_refuse_a_manifest_that_is_not_yaml_naming_the_file()
    {
        _dir.Write("site/manifests/broken.yaml", "kind: [unclosed\n");
        var spec = ClusterLoader.LoadValid(ClusterFile, RenderFixture.ShippedPins);

        var error = Assert.Throws<InputException>(() => RenderFixture.Render(spec, RenderFixture.ShippedPins, spec.Nodes[0]));

        Assert.Contains(_dir.Combine("site/manifests/broken.yaml"), error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _dir.Dispose();
}
