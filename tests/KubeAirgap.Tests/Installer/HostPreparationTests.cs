namespace KubeAirgap.Tests.Installer;

/// <summary>lib/install.sh host preparation: swap off for good (swap units masked, no zram), Calico's NetworkManager drop-in, kubelet's resolv.conf.</summary>
public sealed class HostPreparationTests
{
    [Fact]
    public void Swap_units_and_swap_target_are_masked_and_the_zram_generator_gets_no_device()
    {
        using var shell = new NodeShell();
        File.WriteAllText(Path.Combine(shell.Units, "swap-units"), "dev-sda3.swap loaded active active /dev/sda3\ndev-zram0.swap loaded active active Compressed Swap on /dev/zram0\n");
        shell.Tool("zram-generator", "exit 0", Path.Combine(shell.Root, "usr/lib/systemd/system-generators"));

        var run = shell.Run("mask_swap_units; disable_zram_generator");

        Assert.True(run.ExitCode == 0, run.Output);
        foreach (var unit in new[] { "dev-sda3.swap", "dev-zram0.swap", "swap.target" })
        {
            Assert.Contains($"systemctl mask -q {unit}", shell.CallLines);
        }

        var zram = File.ReadAllText(Path.Combine(shell.Root, "etc/systemd/zram-generator.conf"));
        Assert.DoesNotContain("[zram", zram, StringComparison.Ordinal);
        Assert.StartsWith("# kube-airgap", zram, StringComparison.Ordinal);
    }

    [Fact]
    public void NetworkManager_gets_calicos_drop_in_only_where_it_is_installed()
    {
        using var shell = new NodeShell();
        var dropIn = Path.Combine(shell.Root, "etc/NetworkManager/conf.d/calico.conf");

        Assert.True(shell.Run("install_networkmanager_dropin").ExitCode == 0);
        Assert.False(File.Exists(dropIn));

        Directory.CreateDirectory(Path.Combine(shell.Root, "etc/NetworkManager"));
        var run = shell.Run("install_networkmanager_dropin");

        Assert.True(run.ExitCode == 0, run.Output);
        var text = File.ReadAllText(dropIn);
        Assert.Contains("[keyfile]\nunmanaged-devices=interface-name:cali*;interface-name:tunl*;interface-name:vxlan.calico;", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nameserver 127.0.0.53\noptions edns0 trust-ad\n", true, "/run/systemd/resolve/resolv.conf")]
    [InlineData("nameserver 127.0.0.53\n", false, "/etc/resolv.conf")]
    [InlineData("nameserver 10.1.2.3\n", true, "/etc/resolv.conf")]
    public void Kubelet_gets_systemd_resolveds_upstream_file_on_a_resolved_host(string resolvConf, bool resolvedRunning, string expected)
    {
        using var shell = new NodeShell();
        Directory.CreateDirectory(Path.Combine(shell.Root, "etc"));
        File.WriteAllText(Path.Combine(shell.Root, "etc/resolv.conf"), resolvConf);
        if (resolvedRunning)
        {
            Directory.CreateDirectory(Path.Combine(shell.Root, "run/systemd/resolve"));
            File.WriteAllText(Path.Combine(shell.Root, "run/systemd/resolve/resolv.conf"), "nameserver 10.9.9.9\n");
        }

        var run = shell.Run("echo \"${KA_KUBELET_RESOLV_CONF} -> $(kubelet_resolv_source)\"");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal($"/etc/kubernetes/resolv.conf -> {expected}", run.Stdout.Trim());
    }
}
