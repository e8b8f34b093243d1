using KubeAirgap.Cluster;
using KubeAirgap.Diagnostics;
using KubeAirgap.Pki;
using KubeAirgap.Roles;
using KubeAirgap.Tests.Pki.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Pki;

/// <summary>state/&lt;cluster&gt;/: created once, reused, re-issued only when a row's inputs change or a leaf nears expiry; bad state is an error.</summary>
public sealed class StateTests
{
    public sealed class TheRebuild
    {
        [Fact]
        public void Should_Reuse_Every_CA_Leaf_And_Node_File_When_Nothing_Changed()
        {
            // Given
            using var f = new PkiFixture();
            var first = f.Run();
            var stateBefore = Snapshot(f.StateDir);

            // When
            f.Clock.Now = f.Clock.Now.AddDays(100);
            var second = f.Run();

            // Then
            Assert.All(second.Material.Certificates, c => Assert.Equal(PkiAction.Reused, c.Action));
            Assert.Equal(first.Material.Certificates.Select(c => c.Facts.Sha256), second.Material.Certificates.Select(c => c.Facts.Sha256));
            Assert.Equal(stateBefore, Snapshot(f.StateDir));
            Assert.Equal(0, second.Changes);
            Assert.Equal(first.Material.EncryptionKey, second.Material.EncryptionKey);
        }

        [Fact]
        public void Should_Reissue_Only_The_Apiserver_Certificate_When_A_San_Is_Added()
        {
            // Given
            using var f = new PkiFixture();
            var first = f.Run().Material;
            f.Spec = f.Spec with { ApiServer = new ApiServerSpec { ExtraSans = ["api.example.test", "10.9.9.9"] } };

            // When
            var second = f.Run().Material;

            // Then
            var apiserver = second.Get("apiserver");
            Assert.Equal(PkiAction.Reissued, apiserver.Action);
            Assert.Contains("+[10.9.9.9,api.example.test]", apiserver.Reason, StringComparison.Ordinal);
            Assert.NotEqual(first.Get("apiserver").Facts.Sha256, apiserver.Facts.Sha256);
            Assert.All(second.Certificates.Where(c => c.Spec.Name != "apiserver"), c => Assert.Equal(PkiAction.Reused, c.Action));
            var onNode = File.ReadAllText(Path.Combine(f.NodeTree("k8s-02"), "pki/apiserver.crt"));
            var text = Cmd.Run("openssl", "x509", "-in", f.WriteFile("check/apiserver.crt", onNode), "-noout", "-ext", "subjectAltName").EnsureSuccess("openssl").Stdout;
            Assert.Contains("IP Address:10.9.9.9", text, StringComparison.Ordinal);
            Assert.Contains("DNS:api.example.test", text, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_Issue_Only_The_New_Nodes_Certificates_When_A_Worker_Joins()
        {
            // Given
            using var f = new PkiFixture();
            var first = f.Run().Material;
            f.Spec = f.Spec with { Nodes = [.. f.Spec.Nodes, PkiFixture.Node("k8s-04", "127.0.1.4", NodeRole.Worker)] };

            // When
            var second = f.Run();

            // Then
            var created = second.Material.Certificates.Where(c => c.Action != PkiAction.Reused).Select(c => c.Label).Order();
            Assert.Equal(["kubeconfig-kubelet[k8s-04]", "kubelet-serving[k8s-04]"], created);
            Assert.Equal(first.ClusterCa.Facts.Sha256, second.Material.ClusterCa.Facts.Sha256);
            Assert.True(File.Exists(Path.Combine(f.NodeTree("k8s-04"), "etc/kubernetes/kubelet.conf")));
        }

        [Fact]
        public void Should_Reissue_Leaves_That_Expire_Within_The_Renewal_Window_And_Keep_The_CAs()
        {
            // Given
            using var f = new PkiFixture();
            var first = f.Run().Material;
            var notAfter = first.Get("apiserver").Facts.NotAfter;

            // When
            f.Clock.Now = notAfter.AddDays(-(f.Spec.Pki.RenewBeforeDays - 1));
            var second = f.Run().Material;

            // Then
            Assert.All(second.Certificates.Where(c => c.Spec.IsCa), c => Assert.Equal(PkiAction.Reused, c.Action));
            Assert.All(second.Certificates.Where(c => !c.Spec.IsCa), c =>
            {
                Assert.Equal(PkiAction.Reissued, c.Action);
                Assert.Contains("within pki.renewBeforeDays (30)", c.Reason, StringComparison.Ordinal);
                Assert.True(c.Facts.NotAfter > notAfter.AddDays(300));
            });
        }

        [Fact]
        public void Should_Reissue_Leaves_With_A_New_Key_When_The_Key_Algorithm_Changes()
        {
            // Given
            using var f = new PkiFixture("ecdsa-p256");
            var first = f.Run().Material;
            f.Spec = f.Spec with { Pki = f.Spec.Pki with { KeyAlgorithm = "rsa-2048" } };

            // When
            var second = f.Run().Material;

            // Then
            var etcd = second.Get("etcd-server", f.Spec.Nodes[0]);
            Assert.Equal(PkiAction.Reissued, etcd.Action);
            Assert.Equal("key algorithm ecdsa-p256 -> rsa-2048", etcd.Reason);
            Assert.Equal("rsa-2048", etcd.Facts.KeyAlgorithm);
            Assert.Equal(first.ClusterCa.Facts.Sha256, second.ClusterCa.Facts.Sha256);
            Assert.Equal("ecdsa-p256", second.ClusterCa.Facts.KeyAlgorithm);
        }
    }

    public sealed class TheBadState
    {
        [Fact]
        public void Should_Fail_Clearly_On_A_Corrupt_Key()
        {
            // Given
            using var f = new PkiFixture();
            f.Run();
            File.WriteAllText(Path.Combine(f.StateDir, "pki/ca.key"), "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n");

            // When
            var e = Assert.Throws<InputException>(() => f.Run());

            // Then
            Assert.Contains("state/pkitest/pki/ca.key", e.Message, StringComparison.Ordinal);
            Assert.Contains("corrupt", e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_Fail_Clearly_On_A_Corrupt_Leaf_Certificate()
        {
            using var f = new PkiFixture();
            f.Run();
            File.WriteAllText(Path.Combine(f.StateDir, "pki/nodes/k8s-02/etcd/peer.crt"), "garbage");
            var e = Assert.Throws<InputException>(() => f.Run());
            Assert.Contains("state/pkitest/pki/nodes/k8s-02/etcd/peer.crt", e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_Fail_Clearly_When_A_CA_And_Its_Key_Do_Not_Match()
        {
            // Given
            using var f = new PkiFixture();
            f.Run();
            File.Copy(Path.Combine(f.StateDir, "pki/front-proxy-ca.key"), Path.Combine(f.StateDir, "pki/etcd/ca.key"), overwrite: true);

            // When
            var e = Assert.Throws<InputException>(() => f.Run());

            // Then
            Assert.Contains("state/pkitest/pki/etcd/ca.crt", e.Message, StringComparison.Ordinal);
            Assert.Contains("does not belong", e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_Fail_Clearly_When_A_CA_Has_Expired()
        {
            // Given
            using var f = new PkiFixture();
            var ca = f.Run().Material.ClusterCa.Facts.NotAfter;

            // When
            f.Clock.Now = ca.AddDays(1);
            var e = Assert.Throws<InputException>(() => f.Run());

            // Then
            Assert.Contains("state/pkitest/pki/ca.crt: CA 'ca' expired on", e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_Fail_When_Half_Of_A_CA_Is_Missing_Rather_Than_Create_Another_CA()
        {
            using var f = new PkiFixture();
            f.Run();
            File.Delete(Path.Combine(f.StateDir, "pki/ca.key"));
            var e = Assert.Throws<InputException>(() => f.Run());
            Assert.Contains("state/pkitest/pki/ca.key is missing", e.Message, StringComparison.Ordinal);
        }
    }

    public sealed class TheImport
    {
        [Fact]
        public void Should_Adopt_The_CAs_And_Service_Account_Key_Of_A_Kubeadm_Pki_Directory()
        {
            // Given: a kubeadm-style directory with an openssl-made CA (PKCS#1 key, as older kubeadm writes)
            using var f = new PkiFixture();
            var dir = Path.Combine(f.Root, "kubeadm-pki");
            Directory.CreateDirectory(dir);
            Cmd.Run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", Path.Combine(dir, "ca.key"), "-out", Path.Combine(dir, "ca.crt"),
                "-days", "3650", "-subj", "/CN=kubernetes", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,digitalSignature")
                .EnsureSuccess("openssl req");
            Cmd.Run("openssl", "genrsa", "-traditional", "-out", Path.Combine(dir, "sa.key"), "2048").EnsureSuccess("openssl genrsa");
            f.ImportDir = dir;
            f.Clock.Now = DateTimeOffset.UtcNow;

            // When
            var material = f.Run().Material;

            // Then: the cluster CA is the imported one, leaves are signed by it, the other CAs are new
            Assert.Equal(PkiAction.Imported, material.ClusterCa.Action);
            Assert.Equal(PkiAction.Created, material.Get("etcd-ca").Action);
            var fingerprint = Cmd.Run("openssl", "x509", "-in", Path.Combine(dir, "ca.crt"), "-noout", "-fingerprint", "-sha256").EnsureSuccess("openssl").Stdout;
            Assert.Equal(fingerprint.Split('=')[1].Trim().Replace(":", string.Empty, StringComparison.Ordinal).ToLowerInvariant(), material.ClusterCa.Facts.Sha256);
            var verify = Cmd.Run("openssl", "verify", "-CAfile", Path.Combine(dir, "ca.crt"), Path.Combine(f.NodeTree("k8s-01"), "pki/apiserver.crt"));
            Assert.True(verify.ExitCode == 0, verify.Output);
            var saPub = Cmd.Run("openssl", "rsa", "-in", Path.Combine(dir, "sa.key"), "-pubout").EnsureSuccess("openssl rsa").Stdout;
            Assert.Equal(saPub.Trim(), File.ReadAllText(Path.Combine(f.NodeTree("k8s-01"), "pki/sa.pub")).Trim());

            // and a second build with the same import directory reuses state
            Assert.Equal(PkiAction.Reused, f.Run().Material.ClusterCa.Action);
        }

        [Fact]
        public void Should_Refuse_To_Import_Over_A_Different_CA_In_State()
        {
            // Given
            using var f = new PkiFixture();
            f.Run();
            using var other = new PkiFixture();
            other.Run();
            f.ImportDir = Path.Combine(other.StateDir, "pki");

            // When
            var e = Assert.Throws<InputException>(() => f.Run());

            // Then
            Assert.Contains("differs from the one in state/pkitest/pki/ca.crt", e.Message, StringComparison.Ordinal);
        }
    }

    private static Dictionary<string, string> Snapshot(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .ToDictionary(p => Path.GetRelativePath(dir, p), p => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(p))) + File.GetLastWriteTimeUtc(p).Ticks);
}
