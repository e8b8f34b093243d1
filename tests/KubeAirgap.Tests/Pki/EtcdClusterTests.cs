using KubeAirgap.Cluster;
using KubeAirgap.Tests.Pki.Fixtures;
using KubeAirgap.Tests.Render.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Pki;

/// <summary>
/// A real 3-member etcd (Debian's 3.4) with peer and client mTLS, from only what the pipeline produces: the files the
/// Pki step wrote into each node's tree, placed at their node paths below a root per node (as the installer places
/// them), and the etcd.service rendered from templates/ for that node, started with its exact ExecStart. Each node has
/// its own free loopback address (as in Render's EtcdClusterTests), since the three "nodes" share one host.
/// </summary>
public sealed class EtcdClusterTests
{
    public sealed class TheGeneratedEtcdCertificates
    {
        [Fact]
        public void Should_Form_A_Healthy_MTLS_Cluster_And_Refuse_Clients_Of_Another_CA()
        {
            // Given: the PKI of a three-node cluster on free loopback addresses (test pins: etcd 3.4.23, so 3.4 flags)
            using var f = new PkiFixture();
            var ips = Render.EtcdClusterTests.FreeLoopbackTriple();
            f.Spec = RenderFixture.Inventory(ips, "1.35.7");
            var result = f.Run();
            var nodes = f.Spec.Nodes;
            var members = new List<BackgroundProcess>();
            try
            {
                foreach (var n in nodes)
                {
                    var root = Path.Combine(f.Root, "roots", n.Name);
                    foreach (var file in result.Files[n.Name])
                    {
                        var target = root + file.NodePath;
                        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                        File.Copy(Path.Combine(f.NodeTree(n.Name), file.BundlePath), target);
                    }

                    var unit = RenderFixture.Render(f.Spec, RenderFixture.DebianPins, n, RenderFixture.Options(root, localAddress: n.Ip))
                        .Content("etc/systemd/system/etcd.service");
                    var argv = UnitCommands.ExecStart(unit);
                    Assert.Contains(argv, a => a.StartsWith("--peer-trusted-ca-file=" + root, StringComparison.Ordinal));
                    Directory.CreateDirectory(Path.GetDirectoryName(argv[0])!);
                    File.CreateSymbolicLink(argv[0], "/usr/bin/etcd");

                    // When: each member starts from exactly the rendered arguments
                    members.Add(new BackgroundProcess(argv[0], argv.Skip(1)));
                }

                var k1 = Path.Combine(f.NodeTree(nodes[0].Name), "pki");
                Cmd.Result Etcdctl(string cert, string key, params string[] args) => Cmd.Run("/usr/bin/etcdctl",
                    [
                        "--endpoints", $"https://{ClusterTopology.HostPort(nodes[0].Ip, ClusterTopology.EtcdClientPort)}", "--cacert", $"{k1}/etcd/ca.crt",
                        "--cert", cert, "--key", key, "--dial-timeout=3s", "--command-timeout=5s", .. args,
                    ],
                    environment: new Dictionary<string, string> { ["ETCDCTL_API"] = "3" });

                Cmd.Result health = new(1, string.Empty, string.Empty);
                members[0].WaitUntil(
                    () => (health = Etcdctl($"{k1}/etcd/healthcheck-client.crt", $"{k1}/etcd/healthcheck-client.key", "endpoint", "health", "--cluster")).ExitCode == 0
                        && health.Output.Split('\n').Count(l => l.Contains("is healthy", StringComparison.Ordinal)) == 3,
                    TimeSpan.FromSeconds(90), "endpoint health --cluster");

                // Then: every member healthy through the healthcheck client, and the apiserver's etcd client can write
                Assert.Equal(3, health.Output.Split('\n').Count(l => l.Contains("is healthy", StringComparison.Ordinal)));
                Assert.All(nodes.Select(n => $"https://{ClusterTopology.HostPort(n.Ip, ClusterTopology.EtcdClientPort)}"), url => Assert.Contains(url, health.Output, StringComparison.Ordinal));
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
