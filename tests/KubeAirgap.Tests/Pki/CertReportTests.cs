using System.Globalization;
using KubeAirgap.Cluster;
using KubeAirgap.Pki.Report;
using KubeAirgap.Roles;
using KubeAirgap.Tests.Pki.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Pki;

/// <summary>
/// The Certs report (issue 16 item 4): per node and per file, as <c>kubeadm certs check-expiration</c> prints it,
/// read from the node trees the bundles are packed from; warnings within pki.renewBeforeDays.
/// </summary>
public sealed class CertReportTests
{
    public sealed class TheLinesMethod
    {
        [Fact]
        public void Should_List_Every_Certificate_File_And_Kubeconfig_Per_Node_With_Expiry_Residual_Time_And_Ca()
        {
            // Given: an etcd-only node and a worker next to two full nodes
            using var f = new PkiFixture();
            f.Spec = f.Spec with
            {
                Nodes = [f.Spec.Nodes[0], f.Spec.Nodes[1], PkiFixture.Node("k8s-03", "127.0.1.3", NodeRole.Etcd), PkiFixture.Node("k8s-04", "127.0.1.4", NodeRole.Worker)],
            };
            f.Run();
            var nodes = Read(f);

            // When: an hour after the build (exactly 365 days is "1y", as kubeadm prints it)
            var lines = CertReport.Lines(f.Spec, nodes, f.Clock.Now.AddHours(1), clockOverride: false);

            // Then: the header of kubeadm's table, once per node
            Assert.Equal(4, lines.Count(l => l.StartsWith("CERTIFICATE ", StringComparison.Ordinal) && !l.StartsWith("CERTIFICATE AUTHORITY", StringComparison.Ordinal) && l.Contains("EXPIRES", StringComparison.Ordinal) &&
                l.Contains("RESIDUAL TIME", StringComparison.Ordinal) && l.Contains("CERTIFICATE AUTHORITY", StringComparison.Ordinal)));
            var k8s01 = Section(lines, "k8s-01");
            var apiserver = Assert.Single(k8s01, l => l.StartsWith("/etc/kubernetes/pki/apiserver.crt ", StringComparison.Ordinal));
            Assert.True(System.Text.RegularExpressions.Regex.IsMatch(apiserver, @"\s364d\s+ca\s+bundle$"), apiserver);
            Assert.Matches(@"^/etc/kubernetes/admin\.conf\s.*\s364d\s+ca\s+bundle$", Assert.Single(k8s01, l => l.StartsWith("/etc/kubernetes/admin.conf", StringComparison.Ordinal)));
            Assert.Matches(@"\setcd-ca\s", Assert.Single(k8s01, l => l.StartsWith("/etc/kubernetes/pki/etcd/server.crt", StringComparison.Ordinal)));
            Assert.Matches(@"\sfront-proxy-ca\s", Assert.Single(k8s01, l => l.StartsWith("/etc/kubernetes/pki/front-proxy-client.crt", StringComparison.Ordinal)));
            Assert.Contains("kubelet (CSR), bundle", Assert.Single(k8s01, l => l.StartsWith("/etc/kubernetes/kubelet.conf", StringComparison.Ordinal)), StringComparison.Ordinal);
            Assert.Matches(@"^/etc/kubernetes/pki/ca\.crt\s.*\s9y\s+yes \(pki\.caKeyOnNodes\)$", Assert.Single(k8s01, l => l.StartsWith("/etc/kubernetes/pki/ca.crt", StringComparison.Ordinal)));
            Assert.Contains("no (build host only)", Assert.Single(k8s01, l => l.StartsWith("/etc/kubernetes/pki/etcd/ca.crt", StringComparison.Ordinal)), StringComparison.Ordinal);

            // EXPIRES is what openssl reads from the same file
            var file = Path.Combine(f.NodeTree("k8s-01"), "pki", "apiserver.crt");
            var enddate = Cmd.Run("openssl", "x509", "-in", file, "-noout", "-enddate").EnsureSuccess("openssl x509").Stdout.Trim()["notAfter=".Length..];
            var notAfter = DateTimeOffset.ParseExact(System.Text.RegularExpressions.Regex.Replace(enddate, @"\s+", " "), "MMM d HH:mm:ss yyyy 'GMT'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            Assert.Contains(notAfter.ToString("MMM dd, yyyy HH:mm 'UTC'", CultureInfo.InvariantCulture), apiserver, StringComparison.Ordinal);

            // each node lists only what its tree carries
            var etcdOnly = Section(lines, "k8s-03");
            Assert.Contains(etcdOnly, l => l.StartsWith("/etc/kubernetes/pki/etcd/peer.crt", StringComparison.Ordinal));
            Assert.DoesNotContain(etcdOnly, l => l.StartsWith("/etc/kubernetes/pki/apiserver.crt", StringComparison.Ordinal) || l.StartsWith("/etc/kubernetes/admin.conf", StringComparison.Ordinal));
            var worker = Section(lines, "k8s-04");
            Assert.Equal(
                ["/etc/kubernetes/kube-proxy.conf", "/etc/kubernetes/kubelet.conf", "/etc/kubernetes/pki/kubelet.crt"],
                worker.Where(l => l.StartsWith('/') && !l.Contains("ca.crt", StringComparison.Ordinal)).Select(l => l.Split(' ')[0]).Order(StringComparer.Ordinal));
            Assert.DoesNotContain(lines, l => l.Contains("PRIVATE KEY", StringComparison.Ordinal));
        }

        [Fact]
        public void Should_Say_That_Bundles_Are_The_Only_Renewal_When_No_Ca_Key_Is_On_The_Nodes()
        {
            // Given
            using var f = new PkiFixture();
            f.Spec = f.Spec with { Pki = f.Spec.Pki with { CaKeyOnNodes = false } };
            f.Run();

            // When
            var lines = CertReport.Lines(f.Spec, Read(f), f.Clock.Now, clockOverride: false);

            // Then
            Assert.Contains(lines, l => l.Contains("pki.caKeyOnNodes is false", StringComparison.Ordinal) && l.Contains("renewed only by a new bundle", StringComparison.Ordinal));
            Assert.Contains("bundle", Assert.Single(Section(lines, "k8s-01"), l => l.StartsWith("/etc/kubernetes/kubelet.conf", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1], StringComparison.Ordinal);
            Assert.DoesNotContain(lines, l => l.Contains("kubelet (CSR)", StringComparison.Ordinal) || l.Contains("yes (pki.caKeyOnNodes)", StringComparison.Ordinal));
        }

        [Theory]
        [InlineData(-5, "<invalid>")]
        [InlineData(0.5, "0s")]
        [InlineData(59, "59s")]
        [InlineData(3599, "59m")]
        [InlineData(86399, "23h")]
        [InlineData(86400 * 364.9, "364d")]
        [InlineData(86400 * 365, "1y")]
        [InlineData(86400 * 3650, "10y")]
        public void Should_Print_Residual_Time_As_Kubeadm_Does(double seconds, string expected) =>
            Assert.Equal(expected, CertReport.Residual(TimeSpan.FromSeconds(seconds)));
    }

    public sealed class TheWarningsMethod
    {
        [Fact]
        public void Should_Warn_About_Every_Leaf_Within_RenewBeforeDays_Naming_File_And_Nodes()
        {
            // Given
            using var f = new PkiFixture();
            f.Spec = f.Spec with { Pki = f.Spec.Pki with { RenewBeforeDays = 45 } };
            var material = f.Run().Material;
            var notAfter = material.Get("apiserver").Facts.NotAfter;
            var nodes = Read(f);

            // When
            var before = CertReport.Warnings(f.Spec, nodes, notAfter.AddDays(-46), clockOverride: false);
            var within = CertReport.Warnings(f.Spec, nodes, notAfter.AddDays(-44), clockOverride: true);
            var expired = CertReport.Warnings(f.Spec, nodes, notAfter.AddDays(1), clockOverride: false);

            // Then
            Assert.Empty(before);
            var apiserver = Assert.Single(within, w => w.StartsWith("WARNING: /etc/kubernetes/pki/apiserver.crt on k8s-01, k8s-02, k8s-03 expires", StringComparison.Ordinal));
            Assert.Contains("within pki.renewBeforeDays (45)", apiserver, StringComparison.Ordinal);
            Assert.Contains("run ./build.sh --target=Bundle --pki_asof=" + notAfter.AddDays(-44).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), apiserver, StringComparison.Ordinal);
            Assert.Single(within, w => w.StartsWith("WARNING: /etc/kubernetes/pki/etcd/server.crt on k8s-02 ", StringComparison.Ordinal));
            Assert.Contains("the kubelet renews its client certificate itself", Assert.Single(within, w => w.StartsWith("WARNING: /etc/kubernetes/kubelet.conf on k8s-01 ", StringComparison.Ordinal)), StringComparison.Ordinal);
            Assert.DoesNotContain(within, w => w.Contains("ca.crt", StringComparison.Ordinal));
            Assert.Contains(expired, w => w.StartsWith("WARNING: /etc/kubernetes/admin.conf on k8s-01, k8s-02, k8s-03 EXPIRED", StringComparison.Ordinal));
        }

        [Fact]
        public void Should_Warn_When_A_Ca_Expires_Before_A_New_Leaf_Would()
        {
            // Given
            using var f = new PkiFixture();
            var material = f.Run().Material;

            // When
            var warnings = CertReport.Warnings(f.Spec, Read(f), material.ClusterCa.Facts.NotAfter.AddDays(-100), clockOverride: true);

            // Then
            Assert.Contains(warnings, w => w.StartsWith("WARNING: CA /etc/kubernetes/pki/ca.crt on k8s-01, k8s-02, k8s-03 expires", StringComparison.Ordinal) &&
                w.Contains("CA rotation", StringComparison.Ordinal));
        }
    }

    internal static Dictionary<string, IReadOnlyList<NodeCertificate>> Read(PkiFixture f) =>
        f.Spec.Nodes.ToDictionary(n => n.Name, n => NodeCertificate.Read(f.Spec, n, f.NodeTree(n.Name)), StringComparer.Ordinal);

    private static List<string> Section(IReadOnlyList<string> lines, string node) =>
        lines.SkipWhile(l => !l.StartsWith($"NODE {node} ", StringComparison.Ordinal)).Skip(1).TakeWhile(l => l.Length > 0).ToList();
}
