using KubeAirgap.Cluster;
using KubeAirgap.Render;
using KubeAirgap.Tests.Render;
using KubeAirgap.Tests.Render.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Day2;

/// <summary>
/// Three etcd nodes on loopback, each rendered into its own root (units, backup script, certificates from one test CA
/// at the node's pki paths, etcd and etcdctl linked into the unit's bin dir), started from the rendered ExecStart:
/// Debian's etcd 3.4.23 with the test pins, so the version table picks etcdctl for snapshot checks.
/// </summary>
internal sealed class EtcdMembers : IDisposable
{
    private readonly List<BackgroundProcess> _running = [];

    public EtcdMembers(TempDirectory temp, Func<ClusterSpec, ClusterSpec>? adjust = null)
    {
        Ips = EtcdClusterTests.FreeLoopbackTriple();
        var spec = RenderFixture.Inventory(Ips, "1.35.7");
        Spec = adjust is null ? spec : adjust(spec);
        Ca = temp.Combine("ca");
        Directory.CreateDirectory(Ca);
        EtcdClusterTests.Openssl(Ca, "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -subj /CN=etcd-ca -days 1");
        EtcdClusterTests.Issue(Ca, Ca, "client", "kube-etcd-healthcheck-client", "clientAuth", null);
        foreach (var node in Spec.Nodes)
        {
            var root = temp.Combine(node.Name);
            Roots.Add(root);
            TreeWriter.Write(root, RenderFixture.Render(Spec, RenderFixture.DebianPins, node, RenderFixture.Options(root, localAddress: node.Ip)));
            var pki = Path.Combine(root, "etc", "kubernetes", "pki", "etcd");
            Directory.CreateDirectory(pki);
            File.Copy(Path.Combine(Ca, "ca.crt"), Path.Combine(pki, "ca.crt"));
            EtcdClusterTests.Issue(Ca, pki, "server", node.Name, "serverAuth,clientAuth", node.Ip);
            EtcdClusterTests.Issue(Ca, pki, "peer", node.Name, "serverAuth,clientAuth", node.Ip);
            EtcdClusterTests.Issue(Ca, pki, "healthcheck-client", "kube-etcd-healthcheck-client", "clientAuth", null);
            var bin = BinDir(root);
            Directory.CreateDirectory(bin);
            File.CreateSymbolicLink(Path.Combine(bin, "etcd"), "/usr/bin/etcd");
            File.CreateSymbolicLink(Path.Combine(bin, "etcdctl"), "/usr/bin/etcdctl");
        }
    }

    public string[] Ips { get; }

    public ClusterSpec Spec { get; }

    public string Ca { get; }

    public List<string> Roots { get; } = [];

    public string[] Client => ["--cacert", Path.Combine(Ca, "ca.crt"), "--cert", Path.Combine(Ca, "client.crt"), "--key", Path.Combine(Ca, "client.key")];

    public string Endpoints => string.Join(",", Ips.Select(ip => $"https://{ip}:2379"));

    public static string BinDir(string root) => Path.Combine(root, "opt", "kube-airgap", "current", "bin");

    public static string Unit(string root) => File.ReadAllText(Path.Combine(root, "etc", "systemd", "system", "etcd.service"));

    /// <summary>Starts every member from its unit's ExecStart and waits until all three are healthy.</summary>
    public void Start()
    {
        foreach (var root in Roots)
        {
            var argv = EtcdClusterTests.ExecStart(Unit(root));
            _running.Add(new BackgroundProcess(argv[0], argv.Skip(1)));
        }

        _running[0].WaitUntil(() => Etcdctl(Endpoints, "endpoint", "health").ExitCode == 0, TimeSpan.FromSeconds(40), "all three members healthy");
    }

    /// <summary>Stops every member (SIGTERM, then waits) and waits until their ports are closed.</summary>
    public void Stop()
    {
        foreach (var member in _running)
        {
            member.Dispose();
        }

        _running.Clear();
    }

    public Cmd.Result Etcdctl(string endpoints, params string[] args) => EtcdClusterTests.Etcdctl(Client, endpoints, args);

    public void Dispose() => Stop();
}
