using KubeAirgap.Tests.Pki.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Pki;

/// <summary>The generated kubeconfigs read by the real kubectl and authenticated by a TLS server that requires client certificates.</summary>
public sealed class KubeconfigTests
{
    public sealed class TheAdminKubeconfig
    {
        [Fact]
        public void Should_Be_Accepted_By_Kubectl_And_Authenticate_To_A_Server_Trusting_The_Cluster_CA()
        {
            // Given
            using var f = new PkiFixture("rsa-2048");
            f.Run();
            var tree = f.NodeTree("k8s-01");
            var adminConf = Path.Combine(tree, "etc/kubernetes/admin.conf");

            // When: kubectl reads it
            var view = Kubectl("config", "view", "--raw", "--kubeconfig", adminConf, "-o",
                "jsonpath={.clusters[0].cluster.server} {.users[0].name} {.current-context}").EnsureSuccess("kubectl config view");

            // Then
            Assert.Equal("https://127.0.0.1:8443 kubernetes-admin kubernetes-admin@pkitest", view.Stdout.Trim());

            // Given: a TLS server on loopback with the apiserver's certificate that requires a client certificate from the cluster CA
            var port = Ports.Free();
            using var server = new BackgroundProcess("openssl",
            [
                "s_server", "-accept", $"127.0.0.1:{port}", "-cert", Path.Combine(tree, "pki/apiserver.crt"), "-key", Path.Combine(tree, "pki/apiserver.key"),
                "-CAfile", Path.Combine(tree, "pki/ca.crt"), "-Verify", "1", "-verify_return_error", "-www",
            ]);
            server.WaitUntil(() => Ports.IsOpen("127.0.0.1", port), TimeSpan.FromSeconds(30), "listening");
            var pointed = f.WriteFile("kubeconfigs/admin.conf", File.ReadAllText(adminConf).Replace("https://127.0.0.1:8443", $"https://127.0.0.1:{port}", StringComparison.Ordinal));

            // When: kubectl talks to it with the embedded client certificate (and verifies the server with the embedded CA)
            var healthz = Kubectl("--kubeconfig", pointed, "get", "--raw", "/healthz");

            // Then: the handshake succeeded, so s_server accepted the client certificate and served its status page
            Assert.True(healthz.ExitCode == 0, healthz.Output + "\n" + server.Output);
            Assert.Contains("s_server", healthz.Stdout, StringComparison.Ordinal);

            // and the same kubeconfig carrying a client certificate and key from another cluster's CA is refused
            using var other = new PkiFixture("rsa-2048");
            other.Run();
            var foreignUser = File.ReadAllLines(Path.Combine(other.NodeTree("k8s-01"), "etc/kubernetes/admin.conf"))
                .Where(l => l.Contains("client-certificate-data:", StringComparison.Ordinal) || l.Contains("client-key-data:", StringComparison.Ordinal))
                .ToList();
            var foreign = f.WriteFile("kubeconfigs/foreign.conf", string.Join("\n", File.ReadAllLines(pointed).Select(l =>
                l.Contains("client-certificate-data:", StringComparison.Ordinal) ? foreignUser[0]
                : l.Contains("client-key-data:", StringComparison.Ordinal) ? foreignUser[1]
                : l)) + "\n");
            var refused = Kubectl("--kubeconfig", foreign, "get", "--raw", "/healthz");
            Assert.NotEqual(0, refused.ExitCode);
            Assert.DoesNotContain("s_server", refused.Stdout, StringComparison.Ordinal);
            Assert.Contains("certificate", server.Output, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(0, Kubectl("--kubeconfig", pointed, "get", "--raw", "/healthz").ExitCode);
        }

        [Fact]
        public void Should_Give_Each_Node_A_Kubelet_Kubeconfig_With_Its_Own_Identity()
        {
            // Given
            using var f = new PkiFixture();
            f.Run();

            foreach (var node in f.Spec.Nodes)
            {
                // When
                var conf = Path.Combine(f.NodeTree(node.Name), "etc/kubernetes/kubelet.conf");
                var user = Kubectl("config", "view", "--raw", "--kubeconfig", conf, "-o", "jsonpath={.users[0].name}").EnsureSuccess("kubectl").Stdout;
                var certData = Kubectl("config", "view", "--raw", "--kubeconfig", conf, "-o", "jsonpath={.users[0].user.client-certificate-data}").EnsureSuccess("kubectl").Stdout;
                var pem = f.WriteFile($"kubelet/{node.Name}.crt", System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(certData)));
                var subject = Cmd.Run("openssl", "x509", "-in", pem, "-noout", "-subject").EnsureSuccess("openssl").Stdout.Trim();

                // Then
                Assert.Equal("system:node:" + node.Name, user);
                Assert.Equal($"subject=O = system:nodes, CN = system:node:{node.Name}", subject);
            }
        }
    }

    /// <summary>kubectl prompts for credentials when stdin is a terminal: always run it with stdin closed.</summary>
    private static Cmd.Result Kubectl(params string[] args) =>
        Cmd.Run("bash", ["-c", "exec kubectl \"$@\" </dev/null", "kubectl", .. args], timeout: TimeSpan.FromMinutes(2));
}
