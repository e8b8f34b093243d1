using System.Globalization;
using KubeAirgap.Tests.Render.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Render;

/// <summary>
/// Debian's nginx (with its dynamic stream module) accepts the rendered kube-nginx.conf and proxies TLS connections to
/// two apiserver stand-ins (openssl s_server on loopback), spreading one local client's connections over both and failing
/// over when a backend is stopped.
/// </summary>
public sealed class KubeNginxTests
{
    private const string StreamModule = "load_module /usr/lib/nginx/modules/ngx_stream_module.so;\n";

    [Fact]
    public void Should_be_accepted_by_nginx_balance_and_fail_over_between_apiservers()
    {
        // Given: two control-plane nodes on loopback addresses, apiserver and proxy ports free right now
        using var temp = new TempDirectory("kag-nginx");
        var octet = Random.Shared.Next(100, 250);
        string[] ips = [$"127.0.{octet}.11", $"127.0.{octet}.12"];
        var apiPort = Ports.Free(ips[0]);
        var proxyPort = Ports.Free();
        var spec = RenderFixture.Inventory(ips, "1.36.3", securePort: apiPort, localProxyPort: proxyPort);
        var files = RenderFixture.Render(spec, RenderFixture.ShippedPins, spec.Nodes[0], RenderFixture.Options(temp.Combine("root")));
        var conf = files.Content("etc/kube-nginx/kube-nginx.conf");
        Assert.Contains($"server {ips[0]}:{apiPort} max_fails=3 fail_timeout=30s;", conf, StringComparison.Ordinal);
        Assert.Contains($"server {ips[1]}:{apiPort} max_fails=3 fail_timeout=30s;", conf, StringComparison.Ordinal);
        Assert.Contains("least_conn;", conf, StringComparison.Ordinal);
        Assert.DoesNotContain("hash $remote_addr", conf, StringComparison.Ordinal);
        Assert.Contains($"listen 127.0.0.1:{proxyPort};", conf, StringComparison.Ordinal);

        var prefix = temp.Combine("root", "var", "lib", "kube-nginx");
        Directory.CreateDirectory(Path.Combine(prefix, "logs"));
        var confPath = temp.Write("kube-nginx.conf", StreamModule + conf);

        // When: nginx checks the configuration
        var check = Cmd.Run("nginx", "-p", prefix, "-c", confPath, "-t");

        // Then
        Assert.True(check.ExitCode == 0, $"nginx -t rejected the rendered config:\n{check.Output}");
        Assert.Contains("syntax is ok", check.Stderr, StringComparison.Ordinal);

        // Given: a TLS "apiserver" per control-plane IP, each with its own certificate CN
        var backends = new Dictionary<string, BackgroundProcess>(StringComparer.Ordinal);
        try
        {
            foreach (var (ip, i) in ips.Select((ip, i) => (ip, i)))
            {
                var name = $"apiserver-{i + 1}";
                Cmd.Run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", temp.Combine(name + ".key"), "-out", temp.Combine(name + ".crt"), "-subj", "/CN=" + name, "-days", "1")
                    .EnsureSuccess("openssl req");
                var server = new BackgroundProcess("openssl", ["s_server", "-accept", $"{ip}:{apiPort}", "-cert", temp.Combine(name + ".crt"),
                    "-key", temp.Combine(name + ".key"), "-www", "-quiet"]);
                backends[name] = server;
                server.WaitUntil(() => Ports.IsOpen(ip, apiPort), TimeSpan.FromSeconds(10), $"listening on {ip}:{apiPort}");
            }

            using var nginx = new BackgroundProcess("nginx", ["-p", prefix, "-c", confPath, "-g", "daemon off;"]);
            nginx.WaitUntil(() => Ports.IsOpen("127.0.0.1", proxyPort), TimeSpan.FromSeconds(10), $"listening on 127.0.0.1:{proxyPort}");

            // When: the same local client connects through the proxy several times (every client of kube-nginx is 127.0.0.1)
            var reached = Enumerable.Range(0, 4).Select(_ => ConnectThrough(proxyPort)).ToList();

            // Then: the connections are spread over both apiservers (hash $remote_addr sent them all to one)
            Assert.All(reached, r => Assert.Contains(r, backends.Keys));
            Assert.Equal(backends.Keys.Order(StringComparer.Ordinal), reached.Distinct().Order(StringComparer.Ordinal));
            var first = reached[0];

            // When: that apiserver goes away and the client connects again
            backends[first].Stop();
            var second = ConnectThrough(proxyPort);

            // Then: the proxy chose the other one
            Assert.NotEqual(first, second);
            Assert.Contains(second, backends.Keys);
        }
        finally
        {
            foreach (var backend in backends.Values)
            {
                backend.Dispose();
            }
        }
    }

    /// <summary>A TLS handshake through the proxy; returns the CN of the certificate the backend presented.</summary>
    private static string ConnectThrough(int port)
    {
        var result = Cmd.Run("openssl", ["s_client", "-connect", "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture), "-brief"],
            stdin: string.Empty, timeout: TimeSpan.FromSeconds(20));
        var line = result.Output.Split('\n').FirstOrDefault(l => l.Contains("Peer certificate:", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"no TLS session through the proxy (exit {result.ExitCode}):\n{result.Output}");
        return line[(line.IndexOf("CN", StringComparison.Ordinal) + 2)..].Trim(' ', '=', '\r');
    }
}
