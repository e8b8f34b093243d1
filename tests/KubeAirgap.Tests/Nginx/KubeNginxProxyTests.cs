using System.Globalization;
using KubeAirgap.Tests.Nginx.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Nginx;

/// <summary>
/// The built kube-nginx as the guide runs it: an L4 proxy on loopback in front of two TLS backends (stand-ins for
/// two apiservers), with the guide's upstream settings. TLS passes through untouched, so the client verifies the
/// backend's certificate against the backend CA.
/// </summary>
[Collection(NginxBuildCollection.Name)]
public sealed class KubeNginxProxyTests(NginxBuildFixture fixture)
{
    [Fact]
    public void Should_Proxy_Tls_To_A_Backend_And_Fail_Over_When_It_Stops()
    {
        using var dir = new TempDirectory("kag-nginx-proxy");
        MakeCertificates(dir);
        var backendPorts = new[] { Ports.Free(), Ports.Free() };
        var names = new[] { "backend-a", "backend-b" };
        var backends = new List<BackgroundProcess>();
        BackgroundProcess? nginx = null;
        try
        {
            // Given two TLS backends, each with its own certificate from the same CA
            for (var i = 0; i < 2; i++)
            {
                var server = new BackgroundProcess("openssl",
                    ["s_server", "-accept", $"127.0.0.1:{backendPorts[i]}", "-cert", dir.Combine($"{names[i]}.pem"), "-key", dir.Combine($"{names[i]}.key"), "-www"],
                    dir.Path);
                backends.Add(server);
                var port = backendPorts[i];
                server.WaitUntil(() => Ports.IsOpen("127.0.0.1", port), TimeSpan.FromSeconds(15), $"listening on {port}");
            }

            // And kube-nginx in front of them, checked with -t first (as the unit's ExecStartPre does)
            var proxyPort = Ports.Free();
            var conf = dir.Write("kube-nginx/conf/kube-nginx.conf", Config(proxyPort, backendPorts));
            Directory.CreateDirectory(dir.Combine("kube-nginx", "logs"));
            var prefix = dir.Combine("kube-nginx");
            var check = Cmd.Run(fixture.Second.BinaryPath, "-t", "-p", prefix, "-c", conf);
            Assert.True(check.ExitCode == 0, $"kube-nginx -t failed:\n{check.Output}");
            Assert.Contains("test is successful", check.Output, StringComparison.Ordinal);
            nginx = new BackgroundProcess(fixture.Second.BinaryPath, ["-p", prefix, "-c", conf], prefix);
            nginx.WaitUntil(() => Ports.IsOpen("127.0.0.1", proxyPort), TimeSpan.FromSeconds(15), $"listening on {proxyPort}");

            // When a client connects through the proxy, verifying against the backend CA
            var first = Connect(dir, proxyPort, "ca.pem");

            // Then the TLS session is a backend's, verified
            Assert.True(first.ExitCode == 0, $"s_client through kube-nginx failed:\n{first.Output}\nnginx:\n{nginx.Output}");
            Assert.Contains("Verify return code: 0 (ok)", first.Stdout, StringComparison.Ordinal);
            var served = Array.FindIndex(names, n => first.Stdout.Contains($"CN = {n}", StringComparison.Ordinal));
            Assert.True(served >= 0, $"no backend subject in:\n{first.Stdout}");

            // And a client that does not trust the CA is refused (-verify_return_error is effective)
            var untrusted = Connect(dir, proxyPort, "other-ca.pem");
            Assert.NotEqual(0, untrusted.ExitCode);

            // When the backend that served is stopped
            backends[served].Stop();
            Assert.False(Ports.IsOpen("127.0.0.1", backendPorts[served]));

            // Then clients still connect, now to the other backend
            var second = Connect(dir, proxyPort, "ca.pem");
            Assert.True(second.ExitCode == 0, $"s_client after one backend stopped failed:\n{second.Output}\nnginx:\n{nginx.Output}");
            Assert.Contains($"CN = {names[1 - served]}", second.Stdout, StringComparison.Ordinal);
            Assert.Contains("Verify return code: 0 (ok)", second.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            nginx?.Dispose();
            foreach (var b in backends)
            {
                b.Dispose();
            }
        }
    }

    private static Cmd.Result Connect(TempDirectory dir, int port, string caFile) =>
        Cmd.Run("openssl",
            ["s_client", "-connect", $"127.0.0.1:{port}", "-CAfile", dir.Combine(caFile), "-verify_return_error", "-verify_ip", "127.0.0.1"],
            dir.Path, stdin: string.Empty, timeout: TimeSpan.FromSeconds(30));

    /// <summary>
    /// The directives of the rendered kube-nginx.conf (templates/kube-nginx/kube-nginx.conf.scriban: the guide's upstream
    /// plus kubespray's worker settings), with loopback test ports and daemon off so the test owns the process.
    /// </summary>
    private static string Config(int listenPort, int[] backendPorts) => string.Create(CultureInfo.InvariantCulture, $$"""
        worker_processes 2;
        worker_rlimit_nofile 65535;
        daemon off;
        pid logs/kube-nginx.pid;
        error_log logs/error.log warn;

        events {
            worker_connections 16384;
            multi_accept on;
            use epoll;
        }

        stream {
            upstream backend {
                hash $remote_addr consistent;
                server 127.0.0.1:{{backendPorts[0]}} max_fails=3 fail_timeout=30s;
                server 127.0.0.1:{{backendPorts[1]}} max_fails=3 fail_timeout=30s;
            }

            server {
                listen 127.0.0.1:{{listenPort}};
                proxy_connect_timeout 1s;
                proxy_timeout 10m;
                proxy_pass backend;
            }
        }
        """);

    private static void MakeCertificates(TempDirectory dir)
    {
        const string script = """
            set -euo pipefail
            ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
            for ca in ca other-ca; do
              openssl req -x509 $ec -keyout $ca.key -out $ca.pem -days 1 -subj "/CN=$ca" \
                -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
            done
            printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > leaf.ext
            for b in backend-a backend-b; do
              openssl req $ec -keyout $b.key -out $b.csr -subj "/CN=$b" 2>/dev/null
              openssl x509 -req -in $b.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $b.pem -days 1 -extfile leaf.ext 2>/dev/null
            done
            """;
        Cmd.Bash(script, dir.Path).EnsureSuccess("making test certificates");
    }
}
