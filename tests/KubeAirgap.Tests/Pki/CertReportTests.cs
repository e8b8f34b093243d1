using KubeAirgap.Pki;
using KubeAirgap.Tests.Pki.Fixtures;

namespace KubeAirgap.Tests.Pki;

public sealed class CertReportTests
{
    public sealed class TheLinesMethod
    {
        [Fact]
        public void Should_List_Every_Certificate_With_Subject_Issuer_Expiry_And_SANs_But_No_Key()
        {
            // Given
            using var f = new PkiFixture();
            var material = f.Run().Material;

            // When
            var lines = CertReport.Lines(material, f.Clock.Now);

            // Then
            Assert.Equal(material.Certificates.Count, lines.Count);
            var etcd = Assert.Single(lines, l => l.StartsWith("etcd-server[k8s-02]", StringComparison.Ordinal));
            Assert.Contains("CN=k8s-02", etcd, StringComparison.Ordinal);
            Assert.Contains("issuer etcd-ca", etcd, StringComparison.Ordinal);
            Assert.Contains("(365d)", etcd, StringComparison.Ordinal);
            Assert.Contains("SANs localhost,k8s-02,127.0.0.1,127.0.1.2", etcd, StringComparison.Ordinal);
            Assert.Contains(lines, l => l.StartsWith("kubeconfig-admin", StringComparison.Ordinal) && l.Contains("O=kubeadm:cluster-admins, CN=kubernetes-admin", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith("ca ", StringComparison.Ordinal) && l.Contains("issuer self", StringComparison.Ordinal) && l.Contains("(3650d)", StringComparison.Ordinal));
            Assert.DoesNotContain(lines, l => l.Contains(material.ClusterCa.KeyPem.Split('\n')[1][..32], StringComparison.Ordinal));
        }
    }
}
