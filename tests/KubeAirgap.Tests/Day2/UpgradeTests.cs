using KubeAirgap.Tests.Installer;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Day2;

/// <summary>
/// install.sh from real bundles (<see cref="UpgradeBundles"/>) into --root trees: an upgrade 1.35.7 -> 1.36.3 backs up
/// what it replaces and switches current; rollback restores it; the version-skew policy refuses a skipped minor, a
/// downgrade, a kubelet newer than an apiserver and HA apiservers more than one minor apart (exit 9), and holds a
/// control-plane node's kubelet while another apiserver is older (exit 10).
/// </summary>
public sealed class UpgradeTests(UpgradeBundles bundles) : IClassFixture<UpgradeBundles>
{
    private const int ExitSkew = 9;
    private const int ExitHeld = 10;

    [Fact]
    public void Upgrade_backs_up_and_switches_current_and_rollback_restores_the_old_version()
    {
        NeedsRoot.Check("install.sh chowns what it installs");
        using var root = new TargetRoot();
        using var work = new TempDirectory("kag-upgrade-test");
        var upgraded = bundles.ApiServers(work, ("n02", UpgradeBundles.New), ("n03", UpgradeBundles.New));
        var a = bundles.Bundle("a", "n01");
        var b = bundles.Bundle("b", "n01");
        Assert.Equal(0, Run(a, root, upgraded, "install").ExitCode);
        var oldDir = Env(a, "KA_VERSION_DIR");
        var newDir = Env(b, "KA_VERSION_DIR");
        Assert.NotEqual(oldDir, newDir);
        var changed = ChangedFile(a, b);
        var oldContent = File.ReadAllText(root.Combine(changed.TrimStart('/')));

        var up = Run(b, root, upgraded, "install");

        Assert.True(up.ExitCode == 0, up.Output);
        Assert.Contains($"upgrade of n01: Kubernetes {UpgradeBundles.Old} ({oldDir}) -> {UpgradeBundles.New} ({newDir})", up.Stdout, StringComparison.Ordinal);
        Assert.Contains($"kube-apiserver on n02 ({bundles.ApiServer("n02")}) runs {UpgradeBundles.New}", up.Stdout, StringComparison.Ordinal);
        Assert.Contains("etcd snapshot before the upgrade: skipped under --root", up.Stdout, StringComparison.Ordinal);
        Assert.Equal(newDir, Link(root));
        var backup = root.Combine("var/lib/kube-airgap/backups", oldDir);
        Assert.True(File.Exists(Path.Combine(backup, "complete")), up.Output);
        Assert.Contains(changed, File.ReadAllLines(Path.Combine(backup, "configs.list")));
        Assert.Equal(oldContent, File.ReadAllText(Path.Combine(backup, "files" + changed)));
        Assert.NotEqual(oldContent, File.ReadAllText(root.Combine(changed.TrimStart('/'))));
        Assert.Equal("600", Mode(Path.Combine(backup, "files/etc/kubernetes/pki/ca.key")));
        Assert.Equal("700", Mode(backup));
        Assert.Contains($"KA_UPGRADED_FROM='{oldDir}'", File.ReadAllText(root.Combine("var/lib/kube-airgap/versions", newDir + ".env")), StringComparison.Ordinal);

        var back = Run(b, root, upgraded, "rollback");

        Assert.True(back.ExitCode == 0, back.Output);
        Assert.Equal(oldDir, Link(root));
        Assert.Equal(oldContent, File.ReadAllText(root.Combine(changed.TrimStart('/'))));
        Assert.Contains($"KA_KUBERNETES_VERSION='{UpgradeBundles.Old}'", File.ReadAllText(root.Combine("var/lib/kube-airgap/installed.env")), StringComparison.Ordinal);
        // every installed file is the 1.35.7 bundle's again, modes included; the node's installer copy is 1.35.7's
        var verify = Run(a, root, upgraded, "verify");
        Assert.True(verify.ExitCode == 0, verify.Output);
        Assert.Equal(File.ReadAllText(Path.Combine(a, "lib/layout.env")), File.ReadAllText(root.Combine("opt/kube-airgap/installer/lib/layout.env")));

        var again = Run(b, root, upgraded, "rollback");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains($"nothing to roll back to: {oldDir} was not installed as an upgrade", again.Stderr, StringComparison.Ordinal);

        // the newer bundle installs again over the rolled-back node, reusing the backup of the old version
        var reup = Run(b, root, upgraded, "install");
        Assert.True(reup.ExitCode == 0, reup.Output);
        Assert.Equal(newDir, Link(root));
    }

    [Fact]
    public void A_control_plane_node_holds_its_kubelet_while_another_apiserver_is_older_and_a_later_run_releases_it()
    {
        NeedsRoot.Check("install.sh chowns what it installs");
        using var root = new TargetRoot();
        using var work = new TempDirectory("kag-upgrade-test");
        var b = bundles.Bundle("b", "n01");
        var old = bundles.ApiServers(work, ("n02", UpgradeBundles.Old), ("n03", UpgradeBundles.Old));
        Assert.Equal(0, Run(bundles.Bundle("a", "n01"), root, old, "install").ExitCode);

        var first = Run(b, root, old, "install");

        Assert.True(first.ExitCode == ExitHeld, first.Output);
        Assert.Contains($"kube-controller-manager kube-scheduler kubelet kube-proxy {UpgradeBundles.New} would be newer than kube-apiserver {UpgradeBundles.Old} on n02", first.Stderr, StringComparison.Ordinal);
        Assert.Equal(Env(b, "KA_VERSION_DIR"), Link(root));
        Assert.True(File.Exists(root.Combine("var/lib/kube-airgap/upgrade-held")));

        // still older: held again, not released
        Assert.Equal(ExitHeld, Run(b, root, old, "install").ExitCode);

        var upgraded = bundles.ApiServers(work, ("n02", UpgradeBundles.New), ("n03", UpgradeBundles.New));
        var second = Run(b, root, upgraded, "install");
        Assert.True(second.ExitCode == 0, second.Output);
        Assert.Contains("every kube-apiserver runs 1.36 or newer: releasing kube-controller-manager kube-scheduler kubelet kube-proxy", second.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(root.Combine("var/lib/kube-airgap/upgrade-held")));
    }

    [Fact]
    public void A_worker_refuses_a_kubelet_newer_than_an_apiserver_and_changes_nothing()
    {
        NeedsRoot.Check("install.sh chowns what it installs");
        using var root = new TargetRoot();
        using var work = new TempDirectory("kag-upgrade-test");
        var mixed = bundles.ApiServers(work, ("n01", UpgradeBundles.New), ("n02", UpgradeBundles.Old), ("n03", UpgradeBundles.New));
        Assert.Equal(0, Run(bundles.Bundle("a", "n04"), root, mixed, "install").ExitCode);
        var before = ExtractedBundles.TreeOf(root.Path);

        var run = Run(bundles.Bundle("b", "n04"), root, mixed, "install");

        Assert.True(run.ExitCode == ExitSkew, run.Output);
        Assert.Contains($"kubelet {UpgradeBundles.New} would be newer than kube-apiserver {UpgradeBundles.Old} on n02 ({bundles.ApiServer("n02")})", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("upgrade the control-plane nodes to 1.36 first", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, ExtractedBundles.TreeOf(root.Path));

        // an apiserver that does not answer cannot be ruled out either
        var down = bundles.ApiServers(work, ("n01", UpgradeBundles.New), ("n02", UpgradeBundles.New));
        var unknown = Run(bundles.Bundle("b", "n04"), root, down, "install");
        Assert.True(unknown.ExitCode == ExitSkew, unknown.Output);
        Assert.Contains($"could not ask n03 ({bundles.ApiServer("n03")}): The connection to the server {bundles.ApiServer("n03")} was refused", unknown.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, ExtractedBundles.TreeOf(root.Path));

        var upgraded = bundles.ApiServers(work, ("n01", UpgradeBundles.New), ("n02", UpgradeBundles.New), ("n03", UpgradeBundles.New));
        var ok = Run(bundles.Bundle("b", "n04"), root, upgraded, "install");
        Assert.True(ok.ExitCode == 0, ok.Output);
    }

    [Fact]
    public void Skipping_a_minor_is_refused_and_changes_nothing()
    {
        NeedsRoot.Check("install.sh chowns what it installs");
        using var root = new TargetRoot();
        using var work = new TempDirectory("kag-upgrade-test");
        var upgraded = bundles.ApiServers(work, ("n02", UpgradeBundles.New), ("n03", UpgradeBundles.New));
        Assert.Equal(0, Run(bundles.Bundle("c", "n01"), root, upgraded, "install").ExitCode);
        var before = ExtractedBundles.TreeOf(root.Path);

        var run = Run(bundles.Bundle("b", "n01"), root, upgraded, "install");

        Assert.True(run.ExitCode == ExitSkew, run.Output);
        Assert.Contains($"Kubernetes {UpgradeBundles.Skipped} -> {UpgradeBundles.New} skips minor 1.35", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("install 1.35 bundles on every node first", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, ExtractedBundles.TreeOf(root.Path));
    }

    [Fact]
    public void Installing_an_older_bundle_is_refused_and_points_to_rollback()
    {
        NeedsRoot.Check("install.sh chowns what it installs");
        using var root = new TargetRoot();
        using var work = new TempDirectory("kag-upgrade-test");
        var upgraded = bundles.ApiServers(work, ("n02", UpgradeBundles.New), ("n03", UpgradeBundles.New));
        Assert.Equal(0, Run(bundles.Bundle("b", "n01"), root, upgraded, "install").ExitCode);

        var run = Run(bundles.Bundle("a", "n01"), root, upgraded, "install");

        Assert.True(run.ExitCode == ExitSkew, run.Output);
        Assert.Contains($"Kubernetes {UpgradeBundles.New} is installed and this bundle is {UpgradeBundles.Old}", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("install.sh rollback", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Ha_apiservers_more_than_one_minor_apart_are_refused()
    {
        NeedsRoot.Check("install.sh chowns what it installs");
        using var root = new TargetRoot();
        using var work = new TempDirectory("kag-upgrade-test");
        var servers = bundles.ApiServers(work, ("n02", UpgradeBundles.Skipped), ("n03", UpgradeBundles.Old));
        Assert.Equal(0, Run(bundles.Bundle("a", "n01"), root, servers, "install").ExitCode);
        var before = ExtractedBundles.TreeOf(root.Path);

        var run = Run(bundles.Bundle("b", "n01"), root, servers, "install");

        Assert.True(run.ExitCode == ExitSkew, run.Output);
        Assert.Contains($"kube-apiserver {UpgradeBundles.New} here and kube-apiserver {UpgradeBundles.Skipped} on n02 ({bundles.ApiServer("n02")}) would be more than one minor apart", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, ExtractedBundles.TreeOf(root.Path));
    }

    [Fact]
    public void Rollback_of_an_etcd_minor_is_refused_and_names_the_restore()
    {
        NeedsRoot.Check("install.sh chowns what it installs");
        using var root = new TargetRoot();
        using var work = new TempDirectory("kag-upgrade-test");
        var upgraded = bundles.ApiServers(work, ("n02", UpgradeBundles.New), ("n03", UpgradeBundles.New));
        var d = bundles.Bundle("d", "n01");
        Assert.Equal(0, Run(bundles.Bundle("a", "n01"), root, upgraded, "install").ExitCode);
        Assert.Equal(0, Run(d, root, upgraded, "install").ExitCode);
        var before = ExtractedBundles.TreeOf(root.Path);

        var run = Run(d, root, upgraded, "rollback");

        Assert.True(run.ExitCode == ExitSkew, run.Output);
        Assert.Contains($"would take etcd from {UpgradeBundles.NewerEtcd} back to 3.6.14", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("install.sh etcd-restore", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(Env(d, "KA_VERSION_DIR"), Link(root));
        Assert.Equal(before, ExtractedBundles.TreeOf(root.Path));
    }

    private static Cmd.Result Run(string bundle, TargetRoot root, IDictionary<string, string> env, params string[] args) =>
        UpgradeBundles.Run(bundle, root, env, args);

    private static string Link(TargetRoot root) => Cmd.Run("readlink", root.Combine("opt/kube-airgap/current")).Stdout.Trim();

    private static string Mode(string path) => Cmd.Run("stat", "-c", "%a", path).Stdout.Trim();

    private static string Env(string bundle, string key) =>
        File.ReadAllLines(Path.Combine(bundle, "lib/layout.env")).Single(l => l.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..].Trim('\'');

    /// <summary>The one node path (outside the versioned prefix) whose content differs between two bundles of the node.</summary>
    private static string ChangedFile(string a, string b)
    {
        static Dictionary<string, string> Table(string bundle) => File.ReadAllLines(Path.Combine(bundle, "lib/files.tsv"))
            .Select(l => l.Split('\t')).Where(f => !f[4].StartsWith("/opt/kube-airgap/", StringComparison.Ordinal)).ToDictionary(f => f[4], f => f[1], StringComparer.Ordinal);
        var old = Table(a);
        return Assert.Single(Table(b), f => old.TryGetValue(f.Key, out var sha) && sha != f.Value).Key;
    }
}
