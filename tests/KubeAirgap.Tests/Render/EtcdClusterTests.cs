using KubeAirgap.Cluster;
using KubeAirgap.Render;
using KubeAirgap.Tests.Render.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Render;

/// <summary>
/// Debian's etcd 3.4.23 starts from the exact ExecStart of each node's rendered etcd.service (test pins with etcd
/// 3.4.23, so the version table gives 3.4 flags) and the three members form one cluster over mutual TLS.
/// Each node is rendered into its own root (certificates at its /etc/kubernetes/pki/etcd/ paths) with its own loopback
/// address as the node-local address, since the three "nodes" share one host.
/// </summary>
public sealed partial class EtcdClusterTests
{
    [Fact]
    public void Should_form_a_three_member_cluster_from_the_rendered_units()
    {
        // Given: three etcd nodes on loopback addresses whose etcd ports are free
        using var temp = new TempDirectory("kag-etcd");
        var ips = FreeLoopbackTriple();
        var spec = RenderFixture.Inventory(ips, "1.35.7");
        var pins = RenderFixture.DebianPins;
        var ca = temp.Combine("ca");
        Directory.CreateDirectory(ca);
        Openssl(ca, "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -subj /CN=etcd-ca -days 1");
        Issue(ca, ca, "client", "kube-etcd-healthcheck-client", "clientAuth", null);

        var members = new List<BackgroundProcess>();
        try
        {
            foreach (var node in spec.Nodes)
            {
                var root = temp.Combine(node.Name);
                var argv = RenderMember(spec, pins, node, root, ca);

                // the unit's own binary path, linked to the real etcd
                Assert.StartsWith(root + "/opt/kube-airgap/current/bin/etcd", argv[0], StringComparison.Ordinal);
                Assert.Contains("--logger=zap", argv);

                // When: each member starts from exactly those arguments
                members.Add(new BackgroundProcess(argv[0], argv.Skip(1)));
            }

            var client = new[] { "--cacert", Path.Combine(ca, "ca.crt"), "--cert", Path.Combine(ca, "client.crt"), "--key", Path.Combine(ca, "client.key") };
            var endpoints = string.Join(",", ips.Select(ip => $"https://{ip}:2379"));
            members[0].WaitUntil(
                () => Etcdctl(client, endpoints, "endpoint", "health").ExitCode == 0,
                TimeSpan.FromSeconds(30),
                "all three members healthy");

            // Then: one cluster of three started members, replicating writes
            var list = Etcdctl(client, $"https://{ips[0]}:2379", "member", "list").EnsureSuccess("etcdctl member list");
            Assert.Equal(3, list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.Contains(", started, ", StringComparison.Ordinal)));
            Etcdctl(client, $"https://{ips[0]}:2379", "put", "kube-airgap", "rendered").EnsureSuccess("etcdctl put");
            var get = Etcdctl(client, $"https://{ips[2]}:2379", "get", "kube-airgap", "--print-value-only").EnsureSuccess("etcdctl get");
            Assert.Equal("rendered", get.Stdout.Trim());

            // and the loopback client listener requires a client certificate like the node address does
            var anonymous = Cmd.Run("etcdctl", ["--endpoints", $"https://{ips[1]}:2379", "--cacert", Path.Combine(ca, "ca.crt"), "--dial-timeout", "3s", "--command-timeout", "3s", "get", "kube-airgap"],
                environment: new Dictionary<string, string> { ["ETCDCTL_API"] = "3" });
            Assert.NotEqual(0, anonymous.ExitCode);
        }
        finally
        {
            foreach (var member in members)
            {
                member.Dispose();
            }
        }
    }

    /// <summary>
    /// Renders <paramref name="node"/> into <paramref name="root"/> (its own loopback address as the node-local one),
    /// issues its etcd server and peer certificates from the CA in <paramref name="ca"/>, links the unit's etcd to
    /// Debian's, and returns the unit's ExecStart.
    /// </summary>
    internal static IReadOnlyList<string> RenderMember(ClusterSpec spec, Pins.PinsFile pins, NodeSpec node, string root, string ca)
    {
        var unit = RenderFixture.Render(spec, pins, node, RenderFixture.Options(root, localAddress: node.Ip)).Content("etc/systemd/system/etcd.service");
        var pki = Path.Combine(root, "etc", "kubernetes", "pki", "etcd");
        Directory.CreateDirectory(pki);
        File.Copy(Path.Combine(ca, "ca.crt"), Path.Combine(pki, "ca.crt"));
        Issue(ca, pki, "server", node.Name, "serverAuth,clientAuth", node.Ip);
        Issue(ca, pki, "peer", node.Name, "serverAuth,clientAuth", node.Ip);
        var argv = ExecStart(unit);
        Directory.CreateDirectory(Path.GetDirectoryName(argv[0])!);
        File.CreateSymbolicLink(argv[0], "/usr/bin/etcd");
        return argv;
    }

    /// <summary>The ExecStart command line of a unit, continuation lines joined (our units quote nothing).</summary>
    internal static IReadOnlyList<string> ExecStart(string unit) => UnitCommands.ExecStart(unit);

    internal static string[] FreeLoopbackTriple()
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var octet = Random.Shared.Next(100, 250);
            string[] ips = [$"127.0.{octet}.1", $"127.0.{octet}.2", $"127.0.{octet}.3"];
            if (ips.All(ip => new[] { 2379, 2380, 2381 }.All(port => !Ports.IsOpen(ip, port))))
            {
                return ips;
            }
        }

        throw new InvalidOperationException("no free loopback addresses for etcd");
    }

    internal static Cmd.Result Etcdctl(string[] client, string endpoints, params string[] args) =>
        Cmd.Run("etcdctl", ["--endpoints", endpoints, .. client, "--dial-timeout", "3s", "--command-timeout", "5s", .. args],
            environment: new Dictionary<string, string> { ["ETCDCTL_API"] = "3" }, timeout: TimeSpan.FromSeconds(20));

    internal static void Issue(string caDir, string dir, string name, string cn, string usage, string? ip)
    {
        var sans = ip is null ? string.Empty : $"subjectAltName=IP:{ip},IP:127.0.0.1,DNS:localhost\n";
        File.WriteAllText(Path.Combine(dir, name + ".ext"), $"{sans}extendedKeyUsage={usage}\nkeyUsage=critical,digitalSignature,keyEncipherment\n");
        Openssl(dir, $"req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout {name}.key -out {name}.csr -subj /CN={cn}");
        Openssl(dir, $"x509 -req -in {name}.csr -CA {caDir}/ca.crt -CAkey {caDir}/ca.key -CAcreateserial -CAserial {dir}/{name}.srl -out {name}.crt -days 1 -extfile {name}.ext");
    }

    internal static void Openssl(string dir, string args) =>
        Cmd.Run("openssl", args.Split(' '), workingDirectory: dir).EnsureSuccess("openssl " + args);
}
