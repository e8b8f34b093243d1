using KubeAirgap.Diagnostics;
using KubeAirgap.Pki;
using KubeAirgap.Tests.Pki.Fixtures;

namespace KubeAirgap.Tests.Pki;

/// <summary>
/// Renewal (issue 16 item 4): <c>--pki_asof</c> moves the clock the renewal window is measured from (certificates are
/// still issued now), <c>--pki_renew</c> names leaves to renew at once (kubeadm's <c>certs renew</c>). Only leaves
/// are ever re-issued; CAs and the service-account key stay.
/// </summary>
public sealed class RenewalPolicyTests
{
    public sealed class TheAsOfDate
    {
        [Fact]
        public void Should_Reissue_Only_The_Leaves_Within_The_Window_Of_That_Date_Issued_Now()
        {
            // Given: every leaf issued at the start; 200 days later the apiserver certificate re-issued for a new SAN
            using var f = new PkiFixture();
            var first = f.Run().Material;
            f.Clock.Now = PkiFixture.Start.AddDays(200);
            f.Spec = f.Spec with { ApiServer = f.Spec.ApiServer with { ExtraSans = ["api.example.internal"] } };
            var sanChange = f.Run().Material;
            Assert.Equal(["apiserver"], sanChange.Certificates.Where(c => c.Action == KubeAirgap.Pki.PkiAction.Reissued).Select(c => c.Label));
            var saKey = File.ReadAllText(Path.Combine(f.StateDir, "pki", "sa.key"));

            // When: the next day, renew what will be due 150 days later (day 351: within 30 days of day 365, not of day 565)
            f.Clock.Now = PkiFixture.Start.AddDays(201);
            var asOf = PkiFixture.Start.AddDays(351);
            var engine = new PkiEngine(f.Spec, f.StateDir, f.Clock, f.Log.Add) { Renewal = new RenewalPolicy(asOf, []) };
            var result = PkiBuild.Run(engine, f.Spec, f.NodeTree, f.ArtifactsDir);

            // Then
            var reissued = result.Material.Certificates.Where(c => c.Action == PkiAction.Reissued).ToList();
            Assert.Equal(first.Certificates.Count(c => !c.Spec.IsCa) - 1, reissued.Count);
            Assert.DoesNotContain(reissued, c => c.Label == "apiserver");
            Assert.All(reissued, c =>
            {
                Assert.Contains("within pki.renewBeforeDays (30) of " + asOf.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) + " (--pki_asof)", c.Reason, StringComparison.Ordinal);
                Assert.True(c.Facts.NotBefore <= f.Clock.Now && c.Facts.NotBefore > f.Clock.Now.AddHours(-1), $"{c.Label} is issued now, not as of the override ({c.Facts.NotBefore})");
                Assert.NotEqual(first.Get(c.Spec.Name, c.Node).Facts.Sha256, c.Facts.Sha256);
            });
            Assert.All(result.Material.Certificates.Where(c => c.Spec.IsCa), c => Assert.Equal(first.Get(c.Spec.Name).Facts.Sha256, c.Facts.Sha256));
            Assert.Equal(saKey, File.ReadAllText(Path.Combine(f.StateDir, "pki", "sa.key")));
            Assert.Equal(["k8s-01", "k8s-02", "k8s-03"], result.ChangedNodes);

            // the run is recorded with its clock override
            var manifest = PkiBuild.Manifest(f.Spec, result);
            Assert.Contains("\"asOf\": \"" + asOf.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture) + "\"", manifest, StringComparison.Ordinal);
            var path = Path.Combine(f.Root, "pki-files.json");
            File.WriteAllText(path, manifest);
            var record = PkiRenewalRecord.Read(path)!;
            Assert.Equal(reissued.Count, record.Reissued.Count);
            Assert.Contains(record.Reissued, r => r.Certificate == "etcd-server[k8s-02]" && r.Sha256 == result.Material.Get("etcd-server", f.Spec.Nodes[1]).Facts.Sha256);

            // and the same date again changes nothing: the new leaves are outside its window
            var again = PkiBuild.Run(new PkiEngine(f.Spec, f.StateDir, f.Clock) { Renewal = new RenewalPolicy(asOf, []) }, f.Spec, f.NodeTree, f.ArtifactsDir);
            Assert.Equal(0, again.Changes);
        }

        [Fact]
        public void Should_Refuse_A_Date_In_The_Past_Or_Beyond_What_A_New_Leaf_Covers()
        {
            using var f = new PkiFixture();
            f.Run();

            var past = Assert.Throws<InputException>(() => Run(f, new RenewalPolicy(PkiFixture.Start.AddDays(-1), [])));
            var far = Assert.Throws<InputException>(() => Run(f, new RenewalPolicy(PkiFixture.Start.AddDays(336), [])));
            var bad = Assert.Throws<InputException>(() => RenewalPolicy.Parse("next tuesday", string.Empty));

            Assert.Contains("--pki_asof=2026-10-31 12:00 UTC: is in the past", past.Message, StringComparison.Ordinal);
            Assert.Contains("the latest date is 2027-10-02", far.Message, StringComparison.Ordinal);
            Assert.Contains("--pki_asof=next tuesday: not a date", bad.Message, StringComparison.Ordinal);
            Run(f, new RenewalPolicy(PkiFixture.Start.AddDays(335), []));
        }
    }

    public sealed class TheRenewList
    {
        [Fact]
        public void Should_Reissue_Exactly_The_Named_Leaves_By_Row_Kubeconfig_File_Or_Node()
        {
            // Given
            using var f = new PkiFixture();
            var first = f.Run().Material;

            // When
            var result = Run(f, RenewalPolicy.Parse(string.Empty, "apiserver, scheduler.conf,etcd-server[k8s-02]"));

            // Then
            Assert.Equal(
                ["apiserver", "etcd-server[k8s-02]", "kubeconfig-scheduler"],
                result.Material.Certificates.Where(c => c.Action == PkiAction.Reissued).Select(c => c.Label).Order(StringComparer.Ordinal));
            Assert.All(result.Material.Certificates.Where(c => c.Action == PkiAction.Reissued), c =>
            {
                Assert.Equal("renewal asked for (--pki_renew=apiserver,scheduler.conf,etcd-server[k8s-02])", c.Reason);
                Assert.NotEqual(first.Get(c.Spec.Name, c.Node).Facts.Sha256, c.Facts.Sha256);
            });
        }

        [Fact]
        public void Should_Reissue_Every_Leaf_For_All_But_No_Ca()
        {
            using var f = new PkiFixture();
            var first = f.Run().Material;

            var result = Run(f, RenewalPolicy.Parse(string.Empty, "all"));

            Assert.All(result.Material.Certificates, c => Assert.Equal(c.Spec.IsCa ? PkiAction.Reused : PkiAction.Reissued, c.Action));
            Assert.Equal(first.ClusterCa.Facts.Sha256, result.Material.ClusterCa.Facts.Sha256);
        }

        [Theory]
        [InlineData("apiserverr", "--pki_renew=apiserverr: no such certificate; expected 'all' or one of:")]
        [InlineData("ca", "--pki_renew=ca: 'ca' is a CA; CAs are not renewed (CA rotation: see docs/pki.md)")]
        [InlineData("etcd-server[k8s-09]", "--pki_renew=etcd-server[k8s-09]: no node 'k8s-09' in the inventory")]
        [InlineData("apiserver[k8s-01]", "'apiserver' is one certificate for the cluster, not per node")]
        public void Should_Refuse_A_Name_That_Is_No_Leaf(string renew, string message)
        {
            using var f = new PkiFixture();
            f.Run();

            var e = Assert.Throws<InputException>(() => Run(f, RenewalPolicy.Parse(string.Empty, renew)));

            Assert.Contains(message, e.Message, StringComparison.Ordinal);
        }
    }

    private static PkiResult Run(PkiFixture f, RenewalPolicy renewal) =>
        PkiBuild.Run(new PkiEngine(f.Spec, f.StateDir, f.Clock, f.Log.Add) { Renewal = renewal }, f.Spec, f.NodeTree, f.ArtifactsDir);
}
