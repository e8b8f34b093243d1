using KubeAirgap.Tests.E2E.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Contracts;

/// <summary>The fixture executables enforce the contract of the version they report, and exit where the real binary would.</summary>
[Trait(TestCategory.Name, TestCategory.FixtureSelfTest)]
public sealed class FixtureContractTests
{
    [Fact]
    public void Should_pick_the_contract_of_the_version_the_fixture_reports()
    {
        // Given: fixtures for both pinned versions
        using var temp = new TempDirectory("kag-fixtures");
        foreach (var version in new[] { "1.35.7", "1.36.3" })
        {
            Cmd.Run("bash", [Repo.File("tests", "fixtures", "kube", "make-fixtures.sh"), temp.Combine(version), version]).EnsureSuccess("make-fixtures.sh " + version);
        }

        // When: a flag kubernetes/apiserver registers at kubernetes-1.36.3 only
        var older = Cmd.Run(temp.Combine("1.35.7", "kube-scheduler"), ["--tls-curve-preferences=X25519", "--help"]);
        var newer = Cmd.Run(temp.Combine("1.36.3", "kube-scheduler"), ["--tls-curve-preferences=X25519", "--help"]);

        // Then
        Assert.Equal(1, older.ExitCode);
        Assert.Contains("unknown flag: --tls-curve-preferences (not a flag of kube-scheduler 1.35.7", older.Stderr, StringComparison.Ordinal);
        Assert.True(newer.ExitCode == 0, newer.Output);
        Assert.Contains("kube-scheduler 1.36.3", newer.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_version_without_a_generated_contract()
    {
        using var temp = new TempDirectory("kag-fixtures");

        var result = Cmd.Run("bash", [Repo.File("tests", "fixtures", "kube", "make-fixtures.sh"), temp.Path, "1.34.0"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no contract for Kubernetes 1.34.0", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void Should_reject_an_unknown_nested_field_in_the_kubelet_config()
    {
        // Given
        using var world = new KubeFixtureWorld();
        var config = world.Write("kubelet.yaml",
            $"apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication:\n  x509:\n    clientCaFile: {world.Pki("ca.crt")}\n");

        // When
        var result = world.Run("kubelet", [$"--config={config}", $"--kubeconfig={world.Pki("admin.conf")}"]);

        // Then
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("unknown field(s) for kubelet.config.k8s.io/v1beta1 KubeletConfiguration: authentication.x509.clientCaFile", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_reject_a_deprecated_flag()
    {
        using var world = new KubeFixtureWorld();

        var result = world.Run("kube-apiserver", [.. world.ApiServerFlags(), "--default-watch-cache-size=100"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("deprecated flag: --default-watch-cache-size (kube-apiserver 1.36.3: watch caches are sized automatically", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_exit_like_kube_proxy_in_nftables_mode_when_the_host_has_no_nft()
    {
        // Given: a valid nftables-mode config; one PATH without nft, one with a stand-in nft
        using var world = new KubeFixtureWorld();
        var config = world.Write("kube-proxy.yaml",
            $"apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nclientConnection:\n  kubeconfig: {world.Pki("admin.conf")}\nmode: nftables\nhealthzBindAddress: 127.0.0.1:{Ports.Free()}\nmetricsBindAddress: \"\"\n");
        Assert.False(File.Exists("/usr/bin/nft") || File.Exists("/bin/nft"), "this test needs a PATH without nft");
        var withNft = world.Write("nft-bin/nft", "#!/bin/sh\nexit 0\n");
        Cmd.Run("chmod", "755", withNft).EnsureSuccess("chmod");
        var env = new Dictionary<string, string> { ["KA_FIXTURE_STARTUP_TIMEOUT"] = "1" };

        // When
        var without = Cmd.Run(world.Bin("kube-proxy"), [$"--config={config}"], environment: new Dictionary<string, string>(env) { ["PATH"] = "/usr/bin:/bin" });
        var with = Cmd.Run(world.Bin("kube-proxy"), [$"--config={config}"], environment: new Dictionary<string, string>(env) { ["PATH"] = $"{Path.GetDirectoryName(withNft)}:/usr/bin:/bin" });

        // Then: upstream's knftables message, and with nft on PATH the proxy gets as far as the apiserver
        Assert.Equal(1, without.ExitCode);
        Assert.Contains("could not find nftables binary: exec: \"nft\": executable file not found in $PATH", without.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("nftables binary", with.Stderr, StringComparison.Ordinal);
        Assert.Contains("cannot reach the apiserver", with.Stderr, StringComparison.Ordinal);
    }
}
