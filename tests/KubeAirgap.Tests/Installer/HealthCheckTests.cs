using System.Net;
using System.Net.Sockets;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Installer;

/// <summary>The installer's health probes (lib/services.sh check_health) against real loopback servers, and its argument errors.</summary>
public sealed class HealthCheckTests(ExtractedBundles bundles) : IClassFixture<ExtractedBundles>
{
    private string Probe(string health) =>
        $"set -euo pipefail; BUNDLE_DIR='{bundles.BundleDir("n01")}'; DRY_RUN=0; ROOT=; LOG_FILE=; info() {{ :; }}; warn() {{ :; }}; fatal() {{ exit 1; }}; " +
        $"log_line() {{ :; }}; . \"$BUNDLE_DIR/lib/layout.env\"; . \"$BUNDLE_DIR/lib/actions.sh\"; . \"$BUNDLE_DIR/lib/services.sh\"; " +
        $"if check_health '{health}'; then echo healthy; else echo unhealthy; fi";

    [Fact]
    public void Tcp_and_http_probes_tell_a_healthy_server_from_a_missing_one()
    {
        using var dir = new TempDirectory("kag-health");
        dir.Write("healthz", "ok");
        var port = Ports.Free();
        using var server = new BackgroundProcess("python3", ["-m", "http.server", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1"], dir.Path);
        server.WaitUntil(() => Ports.IsOpen("127.0.0.1", port), TimeSpan.FromSeconds(20), "listening");
        var closed = Ports.Free();

        Assert.Equal("healthy", Cmd.Bash(Probe($"tcp:127.0.0.1:{port}")).Stdout.Trim());
        Assert.Equal("healthy", Cmd.Bash(Probe($"http:127.0.0.1:{port}/healthz")).Stdout.Trim());
        Assert.Equal("unhealthy", Cmd.Bash(Probe($"http:127.0.0.1:{port}/missing")).Stdout.Trim());
        Assert.Equal("unhealthy", Cmd.Bash(Probe($"tcp:127.0.0.1:{closed}")).Stdout.Trim());
        Assert.Equal("unhealthy", Cmd.Bash(Probe($"socket:{dir.Combine("nothing.sock")}")).Stdout.Trim());
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("install --purge")]
    [InlineData("--root /nonexistent-kag-dir")]
    public void Bad_arguments_exit_2(string args)
    {
        var run = ExtractedBundles.Run(bundles.BundleDir("n01"), args.Split(' '));
        Assert.Equal(2, run.ExitCode);
    }

    [Fact]
    public void Help_lists_commands_options_environment_and_exit_codes()
    {
        var run = ExtractedBundles.Run(bundles.BundleDir("n01"), "--help");
        Assert.Equal(0, run.ExitCode);
        foreach (var word in new[] { "preflight", "uninstall", "--dry-run", "--root DIR", "--pubkey FILE", "KA_HEALTH_TIMEOUT", "Exit codes:", "4 bundle verification failed", "8 waiting for etcd quorum", "KA_ETCD_QUORUM_TIMEOUT" })
        {
            Assert.Contains(word, run.Stdout, StringComparison.Ordinal);
        }
    }
}

/// <summary>The apiserver probe asks this node's own apiserver (https://node-ip:securePort/readyz), not kube-nginx.</summary>
public sealed class ApiServerProbeTests
{
    [Fact]
    public void The_apiserver_probe_asks_this_nodes_own_apiserver_for_readyz()
    {
        using var shell = new NodeShell("n02");
        shell.Tool("kubectl", $"echo \"kubectl $*\" >>'{shell.Calls}'");
        var apiserver = new TcpListener(IPAddress.Parse("127.0.1.2"), 6443);
        apiserver.Start();
        Cmd.Result run;
        try
        {
            run = shell.Run("check_health \"$(health_of kube-apiserver)\" && echo healthy", stubs: false);
        }
        finally
        {
            apiserver.Stop();
        }

        Assert.True(run.ExitCode == 0, run.Output);
        var call = Assert.Single(shell.CallLines);
        Assert.Contains("--server https://127.0.1.2:6443", call, StringComparison.Ordinal);
        Assert.EndsWith("get --raw /readyz", call, StringComparison.Ordinal);
        Assert.DoesNotContain("8443", call, StringComparison.Ordinal);
    }

    [Fact]
    public void The_apiserver_probe_starts_no_kubectl_while_the_apiservers_port_is_closed()
    {
        // Given: nothing listens on n02's secure port (the apiserver is still starting)
        using var shell = new NodeShell("n02");
        shell.Tool("kubectl", $"echo \"kubectl $*\" >>'{shell.Calls}'");

        // When
        var run = shell.Run("if check_health \"$(health_of kube-apiserver)\"; then echo healthy; else echo waiting; fi", stubs: false);

        // Then: not healthy, and no kubectl (a Go binary start and a TLS handshake per probe, every 2 s)
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("waiting", run.Stdout, StringComparison.Ordinal);
        Assert.Empty(shell.CallLines);
    }
}
