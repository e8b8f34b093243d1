using System.Net;
using KubeAirgap.Cluster;
using KubeAirgap.Layout;
using KubeAirgap.Tests.Render.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Render;

/// <summary>
/// The installer's etcd probe (NodeRequirements: GET /health on the rendered --listen-metrics-urls, no process per
/// probe) means what the install needs: real etcd answers 200 only once a quorum of members is up, not when one
/// member runs alone waiting for its peers.
/// </summary>
public sealed partial class EtcdClusterTests
{
    [Fact]
    public async Task Should_answer_the_installers_health_probe_only_once_etcd_has_quorum()
    {
        // Given: the probe from the node table, and three members rendered on loopback addresses
        var health = NodeRequirements.Units.Single(u => u.Name == "etcd").Health;
        Assert.Equal("http:{etcdMetrics}/health", health);
        using var temp = new TempDirectory("kag-etcd-health");
        var ips = FreeLoopbackTriple();
        var spec = RenderFixture.Inventory(ips, "1.35.7");
        var ca = temp.Combine("ca");
        Directory.CreateDirectory(ca);
        Openssl(ca, "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -subj /CN=etcd-ca -days 1");
        var argvs = new List<IReadOnlyList<string>>();
        foreach (var node in spec.Nodes)
        {
            var argv = RenderMember(spec, RenderFixture.DebianPins, node, temp.Combine(node.Name), ca);
            Assert.Contains($"--listen-metrics-urls=http://{ClusterTopology.HostPort(node.Ip, ClusterTopology.EtcdMetricsPort)}", argv);
            argvs.Add(argv);
        }

        var probe = new Uri($"http://{ClusterTopology.HostPort(ips[0], ClusterTopology.EtcdMetricsPort)}/health");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var members = new List<BackgroundProcess>();
        try
        {
            // When: the first member runs alone (the first node installed)
            members.Add(new BackgroundProcess(argvs[0][0], argvs[0].Skip(1)));
            members[0].WaitUntil(() => Ports.IsOpen(ips[0], ClusterTopology.EtcdMetricsPort), TimeSpan.FromSeconds(30), "etcd's metrics listener");
            var alone = new List<HttpStatusCode?>();
            for (var i = 0; i < 3; i++)
            {
                alone.Add(await StatusOf(http, probe));
                await Task.Delay(1000, TestContext.Current.CancellationToken);
            }

            // Then: the probe says "not yet" every time
            Assert.DoesNotContain(HttpStatusCode.OK, alone.OfType<HttpStatusCode>());

            // When: a second member starts: two of three is a quorum
            members.Add(new BackgroundProcess(argvs[1][0], argvs[1].Skip(1)));
            var deadline = DateTime.UtcNow.AddSeconds(40);
            HttpStatusCode? status = null;
            while (DateTime.UtcNow < deadline && (status = await StatusOf(http, probe)) != HttpStatusCode.OK)
            {
                await Task.Delay(500, TestContext.Current.CancellationToken);
            }

            // Then
            Assert.True(status == HttpStatusCode.OK, $"/health with two of three members up answered {status?.ToString() ?? "nothing"}; before: {string.Join(", ", alone)}");
        }
        finally
        {
            foreach (var member in members)
            {
                member.Dispose();
            }
        }
    }

    private static async Task<HttpStatusCode?> StatusOf(HttpClient http, Uri uri)
    {
        try
        {
            using var response = await http.GetAsync(uri, TestContext.Current.CancellationToken);
            return response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }
}
