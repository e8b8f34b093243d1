using KubeAirgap.Tests.Pki.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Pki;

/// <summary>
/// A real 3-member etcd (Debian's 3.4) on 127.0.1.1-3 with peer and client mTLS, using only the files the Pki step
/// wrote into each node's tree. Ports are free ones picked by the test (never 2379/2380: other tests run etcd too).
/// </summary>
public sealed class EtcdClusterTests
{
    public sealed class TheGeneratedEtcdCertificates
    {
        [Fact]
        public void Should_Form_A_Healthy_MTLS_Cluster_And_Refuse_Clients_Of_Another_CA()
        {
            // Given
            using var f = new PkiFixture();
            var result = f.Run();
            var nodes = f.Spec.Nodes;
            var ports = nodes.Select(n => (Client: Ports.Free(n.Ip), Peer: Ports.Free(n.Ip))).ToList();
            var initialCluster = string.Join(",", nodes.Select((n, i) => $"{n.Name}=https://{n.Ip}:{ports[i].Peer}"));
            var members = new List<BackgroundProcess>();
            try
            {
                for (var i = 0; i < nodes.Count; i++)
                {
                    var n = nodes[i];
                    var pki = Path.Combine(f.NodeTree(n.Name), "pki");
                    members.Add(new BackgroundProcess("/usr/bin/etcd",
                    [
                        "--name", n.Name, "--logger=zap", "--data-dir", Path.Combine(f.Root, "etcd-data", n.Name),
                        "--listen-peer-urls", $"https://{n.Ip}:{ports[i].Peer}", "--initial-advertise-peer-urls", $"https://{n.Ip}:{ports[i].Peer}",
                        "--listen-client-urls", $"https://{n.Ip}:{ports[i].Client}", "--advertise-client-urls", $"https://{n.Ip}:{ports[i].Client}",
                        "--initial-cluster", initialCluster, "--initial-cluster-state", "new", "--initial-cluster-token", "pki-test",
                        "--cert-file", $"{pki}/etcd/server.crt", "--key-file", $"{pki}/etcd/server.key",
                        "--trusted-ca-file", $"{pki}/etcd/ca.crt", "--client-cert-auth",
                        "--peer-cert-file", $"{pki}/etcd/peer.crt", "--peer-key-file", $"{pki}/etcd/peer.key",
                        "--peer-trusted-ca-file", $"{pki}/etcd/ca.crt", "--peer-client-cert-auth",
                    ]));
                }

                var k1 = Path.Combine(f.NodeTree("k8s-01"), "pki");
                Cmd.Result Etcdctl(string cert, string key, params string[] args) => Cmd.Run("/usr/bin/etcdctl",
                    [
                        "--endpoints", $"https://{nodes[0].Ip}:{ports[0].Client}", "--cacert", $"{k1}/etcd/ca.crt",
                        "--cert", cert, "--key", key, "--dial-timeout=3s", "--command-timeout=5s", .. args,
                    ],
                    environment: new Dictionary<string, string> { ["ETCDCTL_API"] = "3" });

                // When
                Cmd.Result health = new(1, string.Empty, string.Empty);
                members[0].WaitUntil(
                    () => (health = Etcdctl($"{k1}/etcd/healthcheck-client.crt", $"{k1}/etcd/healthcheck-client.key", "endpoint", "health", "--cluster")).ExitCode == 0,
                    TimeSpan.FromSeconds(90), "endpoint health --cluster");

                // Then: every member healthy through the healthcheck client, and the apiserver's etcd client can write
                Assert.Equal(3, health.Output.Split('\n').Count(l => l.Contains("is healthy", StringComparison.Ordinal)));
                Assert.All(nodes.Select((n, i) => $"https://{n.Ip}:{ports[i].Client}"), url => Assert.Contains(url, health.Output, StringComparison.Ordinal));
                Etcdctl($"{k1}/apiserver-etcd-client.crt", $"{k1}/apiserver-etcd-client.key", "put", "/registry/pki-test", "ok").EnsureSuccess("etcdctl put");
                var list = Etcdctl($"{k1}/etcd/healthcheck-client.crt", $"{k1}/etcd/healthcheck-client.key", "member", "list").EnsureSuccess("member list");
                Assert.All(nodes, n => Assert.Contains(n.Name + ",", list.Stdout, StringComparison.Ordinal));

                // a client certificate from the cluster CA (not the etcd CA) is refused: CA separation
                var admin = result.Material.Get("kubeconfig-admin");
                var adminCrt = f.WriteFile("wrong/admin.crt", admin.CertPem);
                var adminKey = f.WriteFile("wrong/admin.key", admin.KeyPem);
                var refused = Etcdctl(adminCrt, adminKey, "put", "/registry/intruder", "x");
                Assert.NotEqual(0, refused.ExitCode);

                // and so is one from another cluster's etcd CA
                using var other = new PkiFixture();
                var foreign = other.Run().Material.Get("etcd-healthcheck-client");
                var foreignRefused = Etcdctl(f.WriteFile("wrong/foreign.crt", foreign.CertPem), f.WriteFile("wrong/foreign.key", foreign.KeyPem), "get", "/registry/pki-test");
                Assert.NotEqual(0, foreignRefused.ExitCode);
                Assert.DoesNotContain("\nok", foreignRefused.Stdout, StringComparison.Ordinal);
                Assert.Contains("rejected connection", members[0].Output, StringComparison.Ordinal);
                var got = Etcdctl($"{k1}/etcd/healthcheck-client.crt", $"{k1}/etcd/healthcheck-client.key", "get", "/registry/intruder").EnsureSuccess("get");
                Assert.DoesNotContain("/registry/intruder", got.Stdout, StringComparison.Ordinal);
            }
            finally
            {
                foreach (var m in members)
                {
                    m.Dispose();
                }
            }
        }
    }
}
