using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Installer;

/// <summary>preflight against fake /proc and /sys trees (KA_PROC, KA_SYS): every failure is printed; built-in modules count.</summary>
public sealed class PreflightTests(ExtractedBundles bundles) : IClassFixture<ExtractedBundles>
{
    [Fact]
    public void Every_failing_check_is_printed_and_built_in_modules_count_as_present()
    {
        using var fake = new TempDirectory("kag-proc");
        fake.Write("proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n/swapfile file 1024 0 -2\n");
        fake.Write("proc/net/tcp", "  sl  local_address rem_address   st\n   0: 0100007F:280A 00000000:0000 0A\n   1: 0100007F:094B 00000000:0000 0A\n   2: 0100007F:1F90 00000000:0000 01\n");
        Cmd.Bash("printf 'CONFIG_OVERLAY_FS=y\\nCONFIG_BRIDGE_NETFILTER=y\\nCONFIG_NF_CONNTRACK=y\\n' | gzip -c > proc/config.gz", fake.Path).EnsureSuccess("config.gz");
        Directory.CreateDirectory(fake.Combine("sys/fs/cgroup"));
        Directory.CreateDirectory(fake.Combine("sys/module"));
        var env = new Dictionary<string, string> { ["KA_PROC"] = fake.Combine("proc"), ["KA_SYS"] = fake.Combine("sys"), ["PATH"] = "/usr/bin:/bin" };

        var run = Cmd.Run("bash", [Path.Combine(bundles.BundleDir("n01"), "install.sh"), "preflight", "--pubkey", bundles.PubKey], environment: env);

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("PASS  arch amd64", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("PASS  kernel modules: overlay br_netfilter nf_conntrack", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("[FAIL]  swap: 1 swap device(s) active", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("[FAIL]  cgroup:", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("[FAIL]  ports in use: 2379 10250 (needed:", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("check(s) failed for t/n01", run.Stderr, StringComparison.Ordinal);
        Assert.True(run.Stderr.Split("[FAIL]").Length - 1 >= 3, run.Output);
    }

    [Fact]
    public void A_module_neither_loaded_nor_built_in_fails()
    {
        using var fake = new TempDirectory("kag-proc");
        fake.Write("proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n");
        Cmd.Bash("printf 'CONFIG_OVERLAY_FS=y\\n# CONFIG_BRIDGE_NETFILTER is not set\\nCONFIG_NF_CONNTRACK=y\\n' | gzip -c > proc/config.gz", fake.Path).EnsureSuccess("config.gz");
        Directory.CreateDirectory(fake.Combine("sys/module/overlay"));
        var env = new Dictionary<string, string> { ["KA_PROC"] = fake.Combine("proc"), ["KA_SYS"] = fake.Combine("sys"), ["PATH"] = "/usr/bin:/bin" };

        var run = Cmd.Run("bash", [Path.Combine(bundles.BundleDir("n02"), "install.sh"), "preflight", "--pubkey", bundles.PubKey], environment: env);

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("[FAIL]  kernel modules: br_netfilter neither loaded, built in nor loadable", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("PASS  swap is off", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Shellcheck_passes_on_every_installer_script()
    {
        var dir = Repo.File("src", "installer");
        var scripts = Directory.GetFiles(Path.Combine(dir, "lib"), "*.sh").Prepend(Path.Combine(dir, "install.sh")).ToList();
        Assert.True(scripts.Count >= 6);
        var run = Cmd.Run("shellcheck", ["-x", "--severity=style", .. scripts], dir);
        Assert.True(run.ExitCode == 0, run.Output);
    }
}
