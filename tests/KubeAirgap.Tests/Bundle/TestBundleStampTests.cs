using System.Text.Json.Nodes;
using KubeAirgap.Bundle.Verification;
using KubeAirgap.Bundle;
using KubeAirgap.Pins;
using KubeAirgap.Render;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Bundle;

/// <summary>
/// Issue 19 item 6: a bundle built with the test-only RelaxSupportedVersions says so everywhere a user looks
/// (bundle-manifest.json, manifest.json, the SBOM, lib/layout.env, VerifyBundle), carried from Render to Bundle
/// through render-record.json on disk; a bundle built without it carries no stamp.
/// </summary>
public sealed class TestBundleStampTests
{
    private const string Reason = "containerd 1.6.20 is older than the containerd 2.x Kubernetes 1.36.3 needs (version table row containerd.minimumMajor)";

    /// <summary>The repository's pins with the first release's containerd at Debian 12's 1.6.20 (the containerd pin
    /// cloned): what the VM test and the Demo pin.</summary>
    public static PinsFile RelaxedPins(PinsFile pins)
    {
        var release = pins.Releases[0];
        var components = new Dictionary<string, string>(release.Components, StringComparer.Ordinal) { ["containerd"] = "1.6.20" };
        var containerd = pins.Components.First(c => c.Name == "containerd" && c.Version == release.Components["containerd"]) with { Version = "1.6.20" };
        return pins with
        {
            Releases = [release with { Components = components }, .. pins.Releases.Skip(1)],
            Components = [.. pins.Components, containerd],
        };
    }

    [Fact]
    public void Should_stamp_both_manifests_the_sbom_and_layout_env_and_VerifyBundle_names_it_when_Render_was_relaxed()
    {
        // Given: Debian's containerd 1.6.20 pinned for Kubernetes 1.36.3, rendered with the test-only setting, the
        // record written where the Render task writes it (the bundle output directory), as a separate task would
        using var fixture = new SyntheticBundle(nodes: 1);
        var pins = RelaxedPins(SyntheticBundle.Pins);
        fixture.UseKubernetesVersion(fixture.Spec.KubernetesVersion, pins);
        RenderRecord.For(fixture.Spec, pins, relaxSupportedVersions: true).Write(fixture.Dir.Combine("out"));

        // When
        var result = fixture.Build();

        // Then: bundle-manifest.json names component, version and minimum
        var manifest = JsonNode.Parse(File.ReadAllText(fixture.Dir.Combine("out", BundleRequest.ManifestName)))!;
        var unsupported = manifest["testBundle"]!["unsupported"]!.AsArray().Single()!;
        Assert.Equal("containerd", (string?)unsupported["component"]);
        Assert.Equal("1.6.20", (string?)unsupported["version"]);
        Assert.Equal("2.x", (string?)unsupported["minimum"]);
        Assert.Equal("1.36.3", (string?)unsupported["kubernetes"]);

        // the SBOM, in its document comment and on the containerd package
        var sbom = JsonNode.Parse(File.ReadAllText(fixture.Dir.Combine("out", BundleRequest.SbomName)))!;
        Assert.StartsWith($"TEST BUNDLE: {Reason}. Built with the test-only setting RelaxSupportedVersions", (string?)sbom["comment"], StringComparison.Ordinal);
        Assert.Contains(sbom["packages"]!.AsArray(), p => (string?)p!["name"] == "containerd" && (string?)p["comment"] == $"TEST BUNDLE: {Reason}");

        // the node's signed lib/layout.env and manifest.json (read from the tarball, as a node gets them)
        using var extracted = new TempDirectory("kag-stamp");
        Cmd.Run("tar", "-xzf", result.Tarballs[0].Path, "-C", extracted.Path).EnsureSuccess("tar xzf");
        var env = File.ReadAllText(extracted.Combine("t-n01", "lib", "layout.env"));
        Assert.Contains("KA_TEST_BUNDLE='1'\n", env, StringComparison.Ordinal);
        Assert.Contains($"KA_TEST_BUNDLE_REASON='{Reason}'\n", env, StringComparison.Ordinal);
        Assert.NotNull(JsonNode.Parse(File.ReadAllText(extracted.Combine("t-n01", "manifest.json")))!["testBundle"]);

        // and VerifyBundle finds the set consistent and has the banner to print
        Assert.All(BundleVerifier.Verify(fixture.Dir.Combine("out")), r => Assert.Empty(r.Problems));
        Assert.StartsWith($"TEST BUNDLE: {Reason}", BundleVerifier.TestBundleOf(fixture.Dir.Combine("out"))!.Banner, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_carry_no_stamp_when_Render_was_not_relaxed()
    {
        // Given: the shipped pins (containerd 2.x), rendered without the setting
        using var fixture = new SyntheticBundle(nodes: 1);
        RenderRecord.For(fixture.Spec, fixture.SyntheticPins, relaxSupportedVersions: false).Write(fixture.Dir.Combine("out"));

        // When
        var result = fixture.Build();

        // Then
        Assert.False(JsonNode.Parse(File.ReadAllText(fixture.Dir.Combine("out", BundleRequest.ManifestName)))!.AsObject().ContainsKey("testBundle"));
        Assert.False(JsonNode.Parse(File.ReadAllText(fixture.Dir.Combine("out", BundleRequest.SbomName)))!.AsObject().ContainsKey("comment"));
        using var extracted = new TempDirectory("kag-nostamp");
        Cmd.Run("tar", "-xzf", result.Tarballs[0].Path, "-C", extracted.Path).EnsureSuccess("tar xzf");
        var env = File.ReadAllText(extracted.Combine("t-n01", "lib", "layout.env"));
        Assert.Contains("KA_TEST_BUNDLE=''\n", env, StringComparison.Ordinal);
        Assert.Contains("KA_TEST_BUNDLE_REASON=''\n", env, StringComparison.Ordinal);
        Assert.Null(BundleVerifier.TestBundleOf(fixture.Dir.Combine("out")));
        Assert.All(BundleVerifier.Verify(fixture.Dir.Combine("out")), r => Assert.Empty(r.Problems));
    }

    [Fact]
    public void Should_stamp_from_the_render_record_although_the_pins_were_fixed_after_the_relaxed_render()
    {
        // Given: trees rendered relaxed (containerd 1.x config), then pins.yaml moved to containerd 2.x without a new Render
        using var fixture = new SyntheticBundle(nodes: 1);
        RenderRecord.For(fixture.Spec, RelaxedPins(SyntheticBundle.Pins), relaxSupportedVersions: true).Write(fixture.Dir.Combine("out"));

        // When: Bundle with the fixed pins
        fixture.Build();

        // Then: the record Render left on disk still makes it a test bundle
        Assert.Equal(Reason, BundleVerifier.TestBundleOf(fixture.Dir.Combine("out"))?.Reason);
    }

    [Fact]
    public void Should_stamp_from_the_pins_when_the_render_record_is_missing()
    {
        // Given: pins below the supported range and no render-record.json (trees from before records, or the file deleted)
        using var fixture = new SyntheticBundle(nodes: 1);
        fixture.UseKubernetesVersion(fixture.Spec.KubernetesVersion, RelaxedPins(SyntheticBundle.Pins));

        // When
        fixture.Build();

        // Then
        Assert.False(File.Exists(fixture.Dir.Combine("out", RenderRecord.FileName)));
        Assert.Equal(Reason, BundleVerifier.TestBundleOf(fixture.Dir.Combine("out"))?.Reason);
    }

    [Fact]
    public void Should_report_a_bundle_manifest_edited_to_hide_the_stamp()
    {
        // Given: a test bundle set whose bundle-manifest.json lost its testBundle
        using var fixture = new SyntheticBundle(nodes: 1);
        fixture.UseKubernetesVersion(fixture.Spec.KubernetesVersion, RelaxedPins(SyntheticBundle.Pins));
        fixture.Build();
        var path = fixture.Dir.Combine("out", BundleRequest.ManifestName);
        var manifest = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        manifest.Remove("testBundle");
        File.WriteAllText(path, manifest.ToJsonString());

        // When
        var problems = BundleVerifier.Verify(fixture.Dir.Combine("out")).Single().Problems;

        // Then: the node's signed layout.env still says it
        Assert.Contains($"t-n01-amd64.tar.gz: lib/layout.env marks a TEST BUNDLE ({Reason}), but bundle-manifest.json does not", problems);
    }

    [Fact]
    public void Should_record_which_version_the_relaxed_check_let_through_and_refuse_it_unrelaxed()
    {
        using var fixture = new SyntheticBundle(nodes: 1);
        var pins = RelaxedPins(SyntheticBundle.Pins);

        var error = Assert.Throws<KubeAirgap.Diagnostics.InputException>(() => RenderRecord.For(fixture.Spec, pins, relaxSupportedVersions: false));
        Assert.Contains("needs containerd 2.x or later, but the pins give containerd 1.6.20", error.Message, StringComparison.Ordinal);

        var unsupported = Assert.Single(RenderRecord.For(fixture.Spec, pins, relaxSupportedVersions: true).TestBundle!.Unsupported);
        Assert.Equal(new KubeAirgap.Render.Versions.UnsupportedVersion("containerd", "1.6.20", "2.x", "1.36.3", "containerd.minimumMajor"), unsupported);
        Assert.Null(RenderRecord.For(fixture.Spec, SyntheticBundle.Pins, relaxSupportedVersions: true).TestBundle);
    }
}
