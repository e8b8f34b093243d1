using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Installer;

/// <summary>
/// Issue 13 point 9: retire_super_admin (lib/trust.sh) overwrites and deletes super-admin.conf once admin.conf can
/// read the admin group's binding, and a re-install does not bring it back; while the binding is missing it stays.
/// kubectl is a fake that answers like the apiserver would for admin.conf.
/// </summary>
public sealed class SuperAdminTests(ExtractedBundles bundles) : IClassFixture<ExtractedBundles>
{
    private static string Retire(string bundle, TargetRoot root, TempDirectory work) =>
        $"set -euo pipefail; ROOT='{root.Path}'; DRY_RUN=0; LOG_FILE=; RUN_TMP='{work.Path}'; CHANGES=0; " +
        "info() { echo \"[INFO]  $*\"; }; warn() { echo \"[WARN]  $*\" >&2; }; fatal() { echo \"[ERROR] $1\" >&2; exit 1; }; log_line() { :; }; " +
        $". '{bundle}/lib/layout.env'; . '{bundle}/lib/actions.sh'; . '{bundle}/lib/trust.sh'; KA_BIN_DIR='{work.Combine("bin")}'; retire_super_admin";

    [Fact]
    public void Super_admin_conf_is_shredded_once_the_admin_groups_binding_exists_and_is_not_installed_again()
    {
        using var work = new TempDirectory("kag-sa");
        using var root = new TargetRoot();
        var bundle = bundles.BundleDir("n01");
        Assert.Equal(0, ExtractedBundles.Install(bundle, root).ExitCode);
        var superAdmin = root.Path + InstallerTests.Env(bundle, "KA_SUPER_ADMIN_KUBECONFIG");
        // The synthetic bundle has no super-admin.conf; a first control-plane node's bundle has.
        File.WriteAllText(superAdmin, "apiVersion: v1\nkind: Config\n# system:masters credentials\n");

        // No binding yet: kubectl with admin.conf is forbidden; the file stays.
        work.Write("bin/kubectl", $"#!/bin/bash\necho \"$*\" >> '{work.Combine("kubectl.log")}'\n[ -e '{work.Combine("bound")}' ] || {{ echo 'Error from server (Forbidden)' >&2; exit 1; }}\necho clusterrolebinding.rbac.authorization.k8s.io/kubeadm:cluster-admins\n");
        Cmd.Run("chmod", "+x", work.Combine("bin/kubectl")).EnsureSuccess("chmod");
        var early = Cmd.Run("bash", ["-c", Retire(bundle, root, work)]);
        Assert.True(early.ExitCode == 0, early.Output);
        Assert.Contains("keeping /etc/kubernetes/super-admin.conf: admin.conf cannot read the binding kubeadm:cluster-admins", early.Stderr, StringComparison.Ordinal);
        Assert.True(File.Exists(superAdmin));

        File.WriteAllText(work.Combine("bound"), string.Empty);
        var run = Cmd.Run("bash", ["-c", Retire(bundle, root, work)]);
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("overwrite and delete /etc/kubernetes/super-admin.conf", run.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(superAdmin));
        Assert.Contains($"--kubeconfig {root.Path}/etc/kubernetes/admin.conf", File.ReadAllText(work.Combine("kubectl.log")), StringComparison.Ordinal);

        // What install_files does on the next run for the bundle's copy: nothing, and says why.
        var again = Cmd.Run("bash", ["-c", Retire(bundle, root, work).Replace("retire_super_admin", "put_content /etc/kubernetes/super-admin.conf 0600 x; echo \"changed=$PUT_CHANGED\"", StringComparison.Ordinal)]);
        Assert.True(again.ExitCode == 0, again.Output);
        Assert.Contains("not installing /etc/kubernetes/super-admin.conf: removed from this node on purpose", again.Stdout, StringComparison.Ordinal);
        Assert.Contains("changed=0", again.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(superAdmin));
    }
}
