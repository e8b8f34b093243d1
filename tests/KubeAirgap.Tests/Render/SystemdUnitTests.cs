using KubeAirgap.Render;
using KubeAirgap.Tests.Render.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Render;

/// <summary>
/// <c>systemd-analyze verify</c> on every rendered unit, rendered into a test root where each ExecStart binary exists
/// (the real one where Debian packages it, a fixture executable otherwise). Any stderr output counts as a failure:
/// systemd only warns (exit 0) on unknown keys or bad values.
/// </summary>
public sealed class SystemdUnitTests
{
    private static readonly Dictionary<string, string?> Binaries = new(StringComparer.Ordinal)
    {
        ["etcd"] = "/usr/bin/etcd",
        ["containerd"] = "/usr/bin/containerd",
        ["kube-nginx"] = "/usr/sbin/nginx",
        ["kube-apiserver"] = null,
        ["kube-controller-manager"] = null,
        ["kube-scheduler"] = null,
        ["kubelet"] = null,
        ["kube-proxy"] = null,
    };

    [Theory]
    [InlineData("shipped", "1.36.3")]
    [InlineData("shipped", "1.35.7")]
    [InlineData("debian", "1.35.7")]
    public void Should_pass_systemd_analyze_verify_without_any_warning(string pinsName, string version)
    {
        // Given
        using var temp = new TempDirectory("kag-units");
        var root = temp.Combine("root");
        var spec = RenderFixture.Inventory(["10.0.0.1", "10.0.0.2", "10.0.0.3"], version);
        var pins = pinsName == "debian" ? RenderFixture.DebianPins : RenderFixture.ShippedPins;
        var files = RenderFixture.Render(spec, pins, spec.Nodes[0], RenderFixture.Options(root));
        var tree = temp.Combine("tree");
        TreeWriter.Write(tree, files);
        var bin = Path.Combine(root, "opt", "kube-airgap", "current", "bin");
        Directory.CreateDirectory(bin);
        foreach (var (name, real) in Binaries)
        {
            var path = Path.Combine(bin, name);
            if (real is not null)
            {
                File.CreateSymbolicLink(path, real);
            }
            else
            {
                File.WriteAllText(path, "#!/bin/sh\nexit 0\n");
                Cmd.Run("chmod", "755", path).EnsureSuccess("chmod");
            }
        }

        // etcd-backup.service runs a rendered script, not a binary: verified with it in Day2/EtcdBackupUnitTests
        var units = Directory.GetFiles(Path.Combine(tree, "etc", "systemd", "system"), "*.service").Where(u => !u.EndsWith("/etcd-backup.service", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(8, units.Count);

        // When
        var result = Cmd.Run("systemd-analyze", ["verify", .. units]);

        // Then
        Assert.True(result.ExitCode == 0 && result.Stderr.Length == 0, $"systemd-analyze verify exited {result.ExitCode}:\n{result.Stderr}");
        Assert.All(files.Where(f => f.Path.EndsWith(".service", StringComparison.Ordinal) && !f.Path.EndsWith("/etcd-backup.service", StringComparison.Ordinal)), f => Assert.Contains($"ExecStart={bin}/", f.Content, StringComparison.Ordinal));
    }

    [Fact]
    public void Should_fail_verification_when_a_binary_is_missing()
    {
        // Given: the same check, with no binaries in the root (proves the check can fail)
        using var temp = new TempDirectory("kag-units");
        var spec = RenderFixture.Inventory(["10.0.0.1"], "1.36.3");
        var files = RenderFixture.Render(spec, RenderFixture.ShippedPins, spec.Nodes[0], RenderFixture.Options(temp.Combine("root")));
        TreeWriter.Write(temp.Combine("tree"), files);

        // When
        var result = Cmd.Run("systemd-analyze", "verify", temp.Combine("tree", "etc", "systemd", "system", "kubelet.service"));

        // Then
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("kubelet", result.Stderr, StringComparison.Ordinal);
    }
}
