using System.Formats.Tar;
using System.IO.Compression;
using KubeAirgap.Bundle.Verification;
using KubeAirgap.Bundle;

namespace KubeAirgap.Tests.Bundle;

public sealed class VerifyAndPlanTests
{
    [Fact]
    public void A_good_bundle_set_verifies_with_a_summary_per_node()
    {
        using var fixture = new SyntheticBundle();
        fixture.Build();
        var reports = BundleVerifier.Verify(fixture.Dir.Combine("out"));

        Assert.Equal(3, reports.Count);
        Assert.All(reports, r => Assert.Empty(r.Problems));
        Assert.All(reports, r => Assert.Equal(3, r.Images));
        Assert.All(reports, r => Assert.Equal(5, r.Secrets));
        Assert.All(reports, r => Assert.True(r.Files > 40, $"{r.Files} files"));
    }

    [Fact]
    public void A_unit_whose_binary_is_missing_and_an_image_not_in_the_archive_are_reported()
    {
        using var fixture = new SyntheticBundle(nodes: 1);
        var tree = fixture.NodeTree("n01");
        File.AppendAllText(Path.Combine(tree, "etc/systemd/system/kubelet.service"), "ExecStartPre=/bin/true\nExecStart=/opt/kube-airgap/current/bin/kubelet-missing\n");
        File.AppendAllText(Path.Combine(tree, "addons/coredns.yaml"), "      - name: extra\n        image: quay.io/example/absent:v1\n");
        fixture.Build();

        var problems = BundleVerifier.Verify(fixture.Dir.Combine("out")).Single().Problems;
        Assert.Contains("etc/systemd/system/kubelet.service: ExecStart runs /opt/kube-airgap/current/bin/kubelet-missing, but bin/kubelet-missing is not in the bundle", problems);
        Assert.Contains(problems, p => p.StartsWith("addons/coredns.yaml:9: image quay.io/example/absent:v1 is not in ", StringComparison.Ordinal) && p.Contains("images/images.oci.tar", StringComparison.Ordinal));
        Assert.Equal(2, problems.Count);
    }

    [Fact]
    public void A_tarball_that_differs_from_sha256sums_is_reported()
    {
        using var fixture = new SyntheticBundle(nodes: 1);
        var result = fixture.Build();
        var sums = fixture.Dir.Combine("out", "SHA256SUMS");
        File.WriteAllText(sums, File.ReadAllText(sums).Replace(result.Tarballs[0].Sha256, new string('0', 64), StringComparison.Ordinal));

        var problems = BundleVerifier.Verify(fixture.Dir.Combine("out")).Single().Problems;
        Assert.Contains(problems, p => p.Contains("SHA256SUMS says 0000", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/usr/bin", "bin: symlink to /usr/bin leads outside the tarball")]
    [InlineData("../../bin", "bin: symlink to ../../bin leads outside the tarball")]
    [InlineData("../t-elsewhere/bin", "bin: symlink to ../t-elsewhere/bin, which is not in the tarball")]
    public void A_symlink_that_leads_out_of_the_tarball_is_reported(string target, string problem)
    {
        using var fixture = new SyntheticBundle(nodes: 1);
        var tarball = fixture.Build().Tarballs[0].Path;
        Rewrite(tarball, e => e.Name == "t-n01/bin" ? new UstarTarEntry(TarEntryType.SymbolicLink, e.Name) { LinkName = target } : e);

        var problems = BundleVerifier.Verify(fixture.Dir.Combine("out")).Single().Problems;
        Assert.Contains(problem, problems);
        Assert.Contains("bin/etcd: listed in SHA256SUMS, missing from the bundle", problems);
        Assert.Contains($"{SyntheticBundle.FullPayloadTop}/bin/etcd: outside t-n01/ and not reached through any of its symlinks", problems);
    }

    [Theory]
    [InlineData("t-n01", "../t-payload-amd64-worker/bin", "t-payload-amd64-worker/bin")]
    [InlineData("a/b", "../../c", "c")]
    [InlineData("a", "../..", null)]
    [InlineData("a", "/etc", null)]
    public void Link_targets_resolve_inside_the_archive(string from, string target, string? expected) =>
        Assert.Equal(expected, BundleVerifier.Resolve(from, target));

    /// <summary>Re-writes a tarball (one gzip member) with each entry replaced as <paramref name="change"/> says.</summary>
    private static void Rewrite(string tarball, Func<TarEntry, TarEntry> change)
    {
        var copy = tarball + ".new";
        using (var input = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress))
        using (var reader = new TarReader(input))
        using (var output = new GZipStream(File.Create(copy), CompressionLevel.Fastest))
        using (var writer = new TarWriter(output, TarEntryFormat.Ustar))
        {
            while (reader.GetNextEntry(copyData: true) is { } e)
            {
                writer.WriteEntry(change(e));
            }
        }

        File.Move(copy, tarball, overwrite: true);
    }

    [Fact]
    public void An_image_pinned_by_digest_is_looked_up_by_name_at_digest_not_by_its_tag()
    {
        // Given: the archive holds registry.k8s.io/pause:3.10.2, but an add-on pins that tag to another digest
        using var fixture = new SyntheticBundle(nodes: 1);
        var pinned = "registry.k8s.io/pause:3.10.2@sha256:" + new string('a', 64);
        File.AppendAllText(Path.Combine(fixture.NodeTree("n01"), "addons/coredns.yaml"), $"      - name: pause\n        image: {pinned}\n");
        fixture.Build();

        // When
        var problems = BundleVerifier.Verify(fixture.Dir.Combine("out")).Single().Problems;

        // Then: containerd would look up name@digest, which the archive does not hold
        var problem = Assert.Single(problems);
        Assert.StartsWith($"addons/coredns.yaml:9: image registry.k8s.io/pause@sha256:{new string('a', 64)} is not in ", problem, StringComparison.Ordinal);
        Assert.Contains("(the archive has registry.k8s.io/pause:3.10.2)", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_lists_files_upstreams_and_images_and_diffs_against_the_last_bundle()
    {
        using var fixture = new SyntheticBundle();
        var before = Directory.GetFileSystemEntries(fixture.Dir.Path, "*", SearchOption.AllDirectories).Length;
        var plan = BundlePlan.Make(fixture.Spec, SyntheticBundle.Pins, fixture.PayloadDir, fixture.NodeTree);
        Assert.Equal(before, Directory.GetFileSystemEntries(fixture.Dir.Path, "*", SearchOption.AllDirectories).Length);

        var n01 = plan.Single(p => p.Node == "n01");
        Assert.Contains(n01.Files, f => f.Path == "bin/kube-apiserver" && f.Size > 0 && f.Sha256 is not null);
        Assert.Contains(n01.Upstreams, u => u.Name == "kube-apiserver" && u.Location.StartsWith("https://dl.k8s.io/", StringComparison.Ordinal) && u.Digest!.StartsWith("sha256:", StringComparison.Ordinal));
        Assert.Contains(n01.Images, i => i.Name == "pause");
        Assert.Contains("no previous bundle-manifest.json: everything is new", BundlePlan.Render(plan, null));

        var manifest = fixture.Build().Manifest;
        Assert.Empty(BundlePlan.Diff(plan, manifest));

        File.AppendAllText(Path.Combine(fixture.NodeTree("n02"), "etc/kubernetes/kubelet.conf"), "# changed\n");
        File.WriteAllText(Path.Combine(fixture.NodeTree("n03"), "etc/kubernetes/new.yaml"), "new\n");
        File.Delete(Path.Combine(fixture.NodeTree("n03"), "addons/coredns.yaml"));
        var diff = BundlePlan.Diff(BundlePlan.Make(fixture.Spec, SyntheticBundle.Pins, fixture.PayloadDir, fixture.NodeTree), manifest);
        Assert.Equal(
            [("n02", "changed", "etc/kubernetes/kubelet.conf"), ("n03", "removed", "addons/coredns.yaml"), ("n03", "added", "etc/kubernetes/new.yaml")],
            diff.Select(d => (d.Node, d.Change, d.Path)).ToList());
    }

    [Fact]
    public void Plan_without_staged_inputs_falls_back_to_the_pins_layouts()
    {
        using var fixture = new SyntheticBundle(nodes: 1);
        var plan = BundlePlan.Make(fixture.Spec, SyntheticBundle.Pins, k => fixture.Dir.Combine("nowhere", k), n => fixture.Dir.Combine("nowhere", n)).Single();

        Assert.Contains(plan.Files, f => f.Path == "bin/kube-apiserver" && f.Size is null && f.Origin == "pins:kube-apiserver");
        Assert.Contains(plan.Files, f => f.Origin == "render (not run yet)");
    }
}
