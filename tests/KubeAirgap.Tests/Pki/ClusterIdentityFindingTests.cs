using KubeAirgap.Diagnostics;
using KubeAirgap.Pki;
using KubeAirgap.Pki.Report;
using KubeAirgap.Pki.Table;
using KubeAirgap.Tests.Pki.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Pki;

/// <summary>
/// Issue 15 finding 12 (build side): deleting state/&lt;cluster&gt;/ silently created a new CA and the next Bundle said
/// nothing, although the last bundle-manifest.json recorded the old one. Also finding 12 of "what to build": the
/// Certs report warns 30 days before a leaf expires.
/// </summary>
public sealed class ClusterIdentityFindingTests
{
    [Fact]
    public void Finding12_pki_refuses_new_cas_when_the_last_bundle_recorded_another_ca_unless_newcluster()
    {
        using var f = new PkiFixture();
        f.Run();
        var engine = f.CreateEngine();
        var caPath = engine.Store.CertPath(CertTable.RootCa(), null);
        var fingerprint = ClusterIdentity.Fingerprint(File.ReadAllText(caPath))!;
        var openssl = Cmd.Run("openssl", "x509", "-in", caPath, "-noout", "-fingerprint", "-sha256").EnsureSuccess("openssl x509").Stdout;
        Assert.Equal(openssl.Trim()[(openssl.IndexOf('=', StringComparison.Ordinal) + 1)..].Replace(":", string.Empty, StringComparison.Ordinal).ToLowerInvariant(), fingerprint);
        var manifest = Path.Combine(f.Root, "artifacts", f.Spec.Name, "bundle-manifest.json");
        Directory.CreateDirectory(Path.GetDirectoryName(manifest)!);
        File.WriteAllText(manifest, $"{{\"cluster\":\"{f.Spec.Name}\",\"caFingerprint\":\"{fingerprint}\"}}");

        ClusterIdentity.Check(engine.Store, f.Spec.Name, manifest, newCluster: false);
        Directory.Delete(f.StateDir, recursive: true);
        var error = Assert.Throws<InputException>(() => ClusterIdentity.Check(f.CreateEngine().Store, f.Spec.Name, manifest, newCluster: false));

        Assert.Contains($"was built with the cluster CA sha256 {fingerprint}, but {caPath} does not exist", error.Message, StringComparison.Ordinal);
        Assert.Contains("Restore it from your backup", error.Message, StringComparison.Ordinal);
        Assert.Contains("--pki_newcluster=true", error.Message, StringComparison.Ordinal);

        // A new cluster on purpose: allowed, and then its new CA differs from the recorded one.
        ClusterIdentity.Check(f.CreateEngine().Store, f.Spec.Name, manifest, newCluster: true);
        f.Run();
        var other = Assert.Throws<InputException>(() => ClusterIdentity.Check(f.CreateEngine().Store, f.Spec.Name, manifest, newCluster: false));
        Assert.Contains($"{caPath} is another CA (sha256 {ClusterIdentity.Fingerprint(File.ReadAllText(caPath))})", other.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Finding12_bundle_manifest_records_the_cluster_ca_fingerprint()
    {
        using var f = new PkiFixture();
        f.Run();
        using var bundle = new Bundle.SyntheticBundle(nodes: 1);
        File.Copy(Path.Combine(f.NodeTree(f.Spec.Nodes[0].Name), "pki", "ca.crt"), Path.Combine(bundle.NodeTree("n01"), "pki", "ca.crt"), overwrite: true);

        var manifest = bundle.Build().Manifest;

        Assert.Equal(ClusterIdentity.Fingerprint(File.ReadAllText(f.CreateEngine().Store.CertPath(CertTable.RootCa(), null))), manifest.CaFingerprint);
        Assert.Equal(manifest.CaFingerprint, ClusterIdentity.Recorded(bundle.Dir.Combine("out", KubeAirgap.Bundle.BundleRequest.ManifestName)));
    }

    [Fact]
    public void Finding12_certs_report_warns_30_days_before_a_leaf_expires_and_says_how_renewal_happens()
    {
        using var f = new PkiFixture();
        var material = f.Run().Material;
        var apiserver = material.Get("apiserver");
        var nodes = CertReportTests.Read(f);

        Assert.Equal(30, f.Spec.Pki.RenewBeforeDays);
        Assert.Empty(CertReport.Warnings(f.Spec, nodes, apiserver.Facts.NotAfter.AddDays(-31), clockOverride: false));
        var warnings = CertReport.Warnings(f.Spec, nodes, apiserver.Facts.NotAfter.AddDays(-29), clockOverride: false);

        Assert.Contains(warnings, w => w.StartsWith("WARNING: /etc/kubernetes/pki/apiserver.crt", StringComparison.Ordinal) && w.Contains("run ./build.sh --target=Bundle", StringComparison.Ordinal));
        Assert.DoesNotContain(warnings, w => w.Contains("WARNING: CA ", StringComparison.Ordinal));
    }
}
