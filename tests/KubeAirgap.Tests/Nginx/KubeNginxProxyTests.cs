using KubeAirgap.Tests.Nginx.Fixtures;
using KubeAirgap.Tests.Render.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Nginx;

/// <summary>
/// The built kube-nginx as a node runs it: its config and unit rendered from templates/ (the same engine and model
/// as Render) for a control-plane node whose two apiservers are TLS stand-ins on loopback, then the unit's own
/// commands run. TLS passes through untouched, so the client verifies the backend's certificate against the backend
/// CA; a stopped backend is failed over.
/// </summary>
[Collection(NginxBuildCollection.Name)]
public sealed class KubeNginxProxyTests(NginxBuildFixture fixture)
{
    private const string ConfPath = "etc/kube-nginx/kube-nginx.conf";
    private const string UnitPath = "etc/systemd/system/kube-nginx.service";

    [Fact]
    public void Should_Proxy_Tls_To_A_Backend_And_Fail_Over_When_It_Stops()
    {
        using var dir = new TempDirectory("kag-nginx-proxy");
        MakeCertificates(dir);
        var octet = Random.Shared.Next(100, 250);
        string[] ips = [$"127.0.{octet}.21", $"127.0.{octet}.22"];
        var apiPort = Ports.Free(ips[0]);
        var proxyPort = Ports.Free();
        var names = new[] { "backend-a", "backend-b" };
        var backends = new List<BackgroundProcess>();
        BackgroundProcess? nginx = null;
        try
        {
            // Given two TLS backends (the cluster's two apiservers), each with its own certificate from the same CA
            for (var i = 0; i < 2; i++)
            {
                var server = new BackgroundProcess("openssl",
                    ["s_server", "-accept", $"{ips[i]}:{apiPort}", "-cert", dir.Combine($"{names[i]}.pem"), "-key", dir.Combine($"{names[i]}.key"), "-www"],
                    dir.Path);
                backends.Add(server);
                var (ip, port) = (ips[i], apiPort);
                server.WaitUntil(() => Ports.IsOpen(ip, port), TimeSpan.FromSeconds(15), $"listening on {ip}:{port}");
            }

            // And the first node's kube-nginx config and unit rendered from the templates into a node root, the unit's
            // kube-nginx being the built one
            var spec = RenderFixture.Inventory(ips, "1.36.3", securePort: apiPort, localProxyPort: proxyPort);
            var root = dir.Combine("root");
            var files = RenderFixture.Render(spec, RenderFixture.ShippedPins, spec.Nodes[0], RenderFixture.Options(root));
            foreach (var path in new[] { ConfPath, UnitPath })
            {
                dir.Write(Path.Combine("root", path), files.Content(path));
            }

            var unit = files.Content(UnitPath);
            var start = UnitCommands.ExecStart(unit);
            Directory.CreateDirectory(Path.GetDirectoryName(start[0])!);
            File.CreateSymbolicLink(start[0], fixture.Second.BinaryPath);

            // When the unit's ExecStartPre commands run (mkdir of the log directory, then kube-nginx -t)
            foreach (var pre in UnitCommands.Of(unit, "ExecStartPre"))
            {
                var result = Cmd.Run(pre[0], pre.Skip(1));
                Assert.True(result.ExitCode == 0, $"{string.Join(' ', pre)} failed:\n{result.Output}");
                if (pre.Contains("-t"))
                {
                    Assert.Contains("test is successful", result.Output, StringComparison.Ordinal);
                }
            }

            // And its ExecStart, kept in the foreground so the test owns the process (the unit is Type=forking)
            nginx = new BackgroundProcess(start[0], [.. start.Skip(1), "-g", "daemon off;"], root);
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
            Assert.False(Ports.IsOpen(ips[served], apiPort));

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
