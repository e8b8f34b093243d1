using KubeAirgap.Pki;
using KubeAirgap.Pki.Crypto;
using KubeAirgap.Tests.Pki.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Pki;

/// <summary>Every issued certificate, checked by openssl (not by BouncyCastle's own view) against its table row.</summary>
public sealed class OpensslTableTests
{
    public sealed class TheIssuedCertificates
    {
        [Theory]
        [InlineData("rsa-2048")]
        [InlineData("ecdsa-p384")]
        public void Should_Verify_Against_Their_CA_With_The_Rows_Subject_SANs_And_Usages(string algorithm)
        {
            // Given
            using var f = new PkiFixture(algorithm);
            var material = f.Run().Material;

            // When / Then
            foreach (var c in material.Certificates)
            {
                var file = f.WriteFile($"check/{c.Label}.crt", c.CertPem);
                var ca = f.WriteFile($"check/{material.CaOf(c.Spec).Label}.ca.crt", material.CaOf(c.Spec).CertPem);
                if (!c.Spec.IsCa)
                {
                    foreach (var usage in c.Spec.Usages)
                    {
                        var purpose = usage == ExtendedUsage.ServerAuth ? "sslserver" : "sslclient";
                        var verify = Cmd.Run("openssl", "verify", "-purpose", purpose, "-CAfile", ca, file);
                        Assert.True(verify.ExitCode == 0 && verify.Stdout.Trim().EndsWith(": OK", StringComparison.Ordinal), $"{c.Label} ({purpose}): {verify.Output}");
                    }
                }

                var text = Cmd.Run("openssl", "x509", "-in", file, "-text", "-noout").EnsureSuccess("openssl x509").Stdout;
                var x = OpensslText.Parse(text);
                var row = c.Spec;
                Assert.Equal(row.CommonNameOf(c.Node), x.Subject.GetValueOrDefault("CN"));
                Assert.Equal(string.Join("+", row.Organizations), x.Subject.GetValueOrDefault("O") ?? string.Empty);
                var expectedSans = row.AltNames(material.Topology, c.Node).Select(s => System.Net.IPAddress.TryParse(s, out _) ? "IP Address:" + s : "DNS:" + s).Distinct().Order();
                Assert.Equal(expectedSans, x.Sans.Order());
                var keyUsage = new List<string> { "Digital Signature" };
                if (algorithm.StartsWith("rsa", StringComparison.Ordinal))
                {
                    keyUsage.Add("Key Encipherment");
                }

                if (row.IsCa)
                {
                    keyUsage.Add("Certificate Sign");
                    Assert.Equal("CA:TRUE", x.BasicConstraints);
                    Assert.Equal(x.Issuer, x.SubjectLine);
                }
                else
                {
                    Assert.Equal("CA:FALSE", x.BasicConstraints);
                }

                Assert.Equal(keyUsage.Order(), x.KeyUsages.Order());
                Assert.Equal(row.Usages.Select(u => u == ExtendedUsage.ServerAuth ? "TLS Web Server Authentication" : "TLS Web Client Authentication").Order(), x.ExtendedKeyUsages.Order());
                Assert.Contains(algorithm.StartsWith("rsa", StringComparison.Ordinal) ? "rsaEncryption" : "id-ecPublicKey", x.PublicKeyAlgorithm, StringComparison.Ordinal);
            }

            // and a few rows spelled out, so that the checks above do not only compare the table with itself
            var k1 = material.Topology.Node("k8s-01");
            Assert.Contains("IP Address:10.254.0.1", Parse(f, material.Get("apiserver")).Sans);
            Assert.Contains("DNS:kubernetes.default.svc.cluster.local", Parse(f, material.Get("apiserver")).Sans);
            Assert.Contains("IP Address:127.0.0.1", Parse(f, material.Get("apiserver")).Sans);
            Assert.Equal("system:node:k8s-01", Parse(f, material.Get("kubeconfig-kubelet", k1)).Subject["CN"]);
            Assert.Equal("system:nodes", Parse(f, material.Get("kubeconfig-kubelet", k1)).Subject["O"]);
            Assert.Equal(["DNS:k8s-01", "DNS:localhost", "IP Address:127.0.0.1", "IP Address:127.0.1.1"], Parse(f, material.Get("etcd-server", k1)).Sans.Order());
            Assert.Equal("CN = etcd-ca", Parse(f, material.Get("etcd-peer", k1)).Issuer);
            Assert.Equal("CN = front-proxy-ca", Parse(f, material.Get("front-proxy-client")).Issuer);
        }

        private static OpensslText Parse(PkiFixture f, IssuedCert c) =>
            OpensslText.Parse(Cmd.Run("openssl", "x509", "-in", f.WriteFile($"spelled/{c.Label}.crt", c.CertPem), "-text", "-noout").EnsureSuccess("openssl x509").Stdout);
    }
}

/// <summary>The fields of <c>openssl x509 -text -noout</c> the tests look at.</summary>
internal sealed record OpensslText(string SubjectLine, string Issuer, IReadOnlyDictionary<string, string> Subject, IReadOnlyList<string> Sans,
    IReadOnlyList<string> KeyUsages, IReadOnlyList<string> ExtendedKeyUsages, string BasicConstraints, string PublicKeyAlgorithm)
{
    public static OpensslText Parse(string text)
    {
        var lines = text.Split('\n').Select(l => l.Trim()).ToList();
        string After(string header)
        {
            var i = lines.FindIndex(l => l.StartsWith(header, StringComparison.Ordinal));
            return i < 0 || i + 1 >= lines.Count ? string.Empty : lines[i + 1];
        }

        string Field(string prefix) => lines.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..].Trim() ?? string.Empty;
        static IReadOnlyList<string> List(string value) => value.Length == 0 ? [] : value.Split(", ").Select(s => s.Trim()).ToList();

        var subjectLine = Field("Subject:");
        var subject = subjectLine.Split(", ")
            .Select(p => p.Split(" = ", 2))
            .Where(p => p.Length == 2)
            .GroupBy(p => p[0])
            .ToDictionary(g => g.Key, g => string.Join("+", g.Select(p => p[1])));
        return new OpensslText(
            subjectLine,
            Field("Issuer:"),
            subject,
            List(After("X509v3 Subject Alternative Name:")),
            List(After("X509v3 Key Usage:")),
            List(After("X509v3 Extended Key Usage:")),
            After("X509v3 Basic Constraints:"),
            Field("Public Key Algorithm:"));
    }
}
