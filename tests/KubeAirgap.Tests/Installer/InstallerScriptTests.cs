using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Installer;

/// <summary>
/// Issue 13 point 7, the script itself: failures end the run (no mutating call where set -e is off), usage errors,
/// nothing sourced before it is verified, temp files removed by a trap, put_file re-hashing what it wrote.
/// </summary>
public sealed class InstallerScriptTests(ExtractedBundles bundles) : IClassFixture<ExtractedBundles>
{
    [Fact]
    public void A_target_that_cannot_be_written_fails_the_install_with_exit_1_and_reports_nothing_installed_there()
    {
        using var root = new TargetRoot();
        var bundle = bundles.BundleDir("n01");
        Directory.CreateDirectory(root.Combine("etc/kubernetes"));
        // /etc/kubernetes read-only, as on a node whose /etc is mounted ro: a bind mount in a private mount namespace.
        var script = "set -e; d=\"$1\"; shift; mount --bind \"$d\" \"$d\"; mount -o remount,bind,ro \"$d\"; exec bash \"$@\"";
        var run = Cmd.Run("unshare", ["--mount", "--propagation", "private", "bash", "-c", script, "ro",
            root.Combine("etc/kubernetes"), Path.Combine(bundle, "install.sh"), "install", "--root", root.Path, "--pubkey", bundles.PubKey],
            bundle, new Dictionary<string, string> { ["KA_LOG"] = root.Log });

        Assert.True(run.ExitCode == 1, run.Output);
        Assert.Contains("Read-only file system", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("installed /etc/kubernetes/", run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("done:", run.Stdout, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(root.Combine("etc/kubernetes")));
    }

    [Theory]
    [InlineData("--root|", "--root needs a non-empty value")]
    [InlineData("--root=", "--root needs a non-empty value")]
    [InlineData("--pubkey|", "--pubkey needs a non-empty value")]
    [InlineData("--pubkey=", "--pubkey needs a non-empty value")]
    [InlineData("status|verify", "two subcommands given: status and verify")]
    [InlineData("install|uninstall", "two subcommands given: install and uninstall")]
    public void Empty_root_or_pubkey_and_a_second_subcommand_are_usage_errors(string args, string message)
    {
        // --dry-run verify: on the real root, even if the arguments were taken, nothing would change.
        var bundle = bundles.BundleDir("n02");
        var run = Cmd.Run("bash", [Path.Combine(bundle, "install.sh"), "--dry-run", .. args.Split('|')], bundle);
        Assert.True(run.ExitCode == 2, run.Output);
        Assert.Contains(message, run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("status")]
    [InlineData("uninstall")]
    [InlineData("verify")]
    [InlineData("preflight")]
    [InlineData("rollback")]
    public void A_tampered_lib_is_refused_before_it_runs_for_every_subcommand(string command)
    {
        using var work = new TempDirectory("kag-lib");
        using var root = new TargetRoot();
        var bundle = bundles.CopyOf("n03", work);
        Assert.Equal(0, ExtractedBundles.Install(bundle, root).ExitCode);
        var marker = work.Combine("sourced");
        foreach (var lib in new[] { "lib/status.sh", "lib/actions.sh", "lib/layout.env" })
        {
            File.AppendAllText(Path.Combine(bundle, lib), $"\ntouch '{marker}'\n");
        }

        var run = ExtractedBundles.Install(bundle, root, command, "--yes");
        Assert.True(run.ExitCode == 4, run.Output);
        Assert.Contains("lib/status.sh: sha256 ", run.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(marker), "a tampered lib file was sourced");
    }

    [Fact]
    public void Temp_files_are_removed_on_success_and_failure_and_a_killed_runs_leftovers_by_the_next_run()
    {
        using var tmp = new TempDirectory("kag-tmpdir");
        using var work = new TempDirectory("kag-tmpwork");
        using var root = new TargetRoot();
        var env = new Dictionary<string, string> { ["KA_TMPDIR"] = tmp.Path };
        // What SIGKILL leaves: a run directory whose process is gone.
        var dead = Cmd.Bash("sh -c 'echo $$'").Stdout.Trim();
        tmp.Write("kube-airgap.Killed01/pid", dead + "\n");
        tmp.Write("kube-airgap.Killed01/bundle/SHA256SUMS", "left over");

        var ok = ExtractedBundles.InstallWithoutKey(bundles.BundleDir("n01"), root, ["install", "--pubkey", bundles.PubKey], env);
        Assert.True(ok.ExitCode == 0, ok.Output);
        Assert.Empty(Directory.GetFileSystemEntries(tmp.Path));

        var bundle = bundles.CopyOf("n01", work);
        File.AppendAllText(Path.Combine(bundle, "lib/files.tsv"), "x");
        var bad = ExtractedBundles.InstallWithoutKey(bundle, root, ["install", "--pubkey", bundles.PubKey], env);
        Assert.Equal(4, bad.ExitCode);
        Assert.Empty(Directory.GetFileSystemEntries(tmp.Path));
    }

    [Fact]
    public void Put_file_hashes_the_copy_it_wrote_and_installs_nothing_when_it_differs()
    {
        using var work = new TempDirectory("kag-put");
        using var root = new TargetRoot();
        var bundle = bundles.BundleDir("n01");
        work.Write("src", "the bundle's bytes\n");
        var sha = Cmd.Bash("sha256sum < src | cut -d' ' -f1", work.Path).Stdout.Trim();
        // A cp that writes something else (a disk error, a swapped source): put_file must notice before the rename.
        work.Write("fakebin/cp", "#!/bin/sh\nfor last; do :; done\necho corrupted > \"$last\"\n");
        Cmd.Run("chmod", "+x", work.Combine("fakebin/cp")).EnsureSuccess("chmod");
        var script =
            $"set -euo pipefail; ROOT='{root.Path}'; DRY_RUN=0; LOG_FILE=; RUN_TMP='{work.Path}'; " +
            "info() { echo \"[INFO]  $*\"; }; warn() { echo \"[WARN]  $*\" >&2; }; fatal() { echo \"[ERROR] $1\" >&2; exit \"${2:-1}\"; }; log_line() { :; }; " +
            $". '{bundle}/lib/layout.env'; . '{bundle}/lib/actions.sh'; " +
            $"put_file '{work.Combine("src")}' 0644 {sha} /etc/x.conf; echo \"changed=$PUT_CHANGED\"; " +
            $"PATH='{work.Combine("fakebin")}':$PATH put_file '{work.Combine("src")}' 0644 {sha} /etc/y.conf; echo reached";

        var run = Cmd.Run("bash", ["-c", script]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("changed=1", run.Stdout, StringComparison.Ordinal);
        Assert.Equal("the bundle's bytes\n", File.ReadAllText(root.Combine("etc/x.conf")));
        Assert.Contains($"/etc/y.conf: the copy written has sha256 ", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("reached", run.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(root.Combine("etc/y.conf")));
        Assert.False(File.Exists(root.Combine("etc/y.conf.kube-airgap.tmp")));
    }

    [Fact]
    public void Put_file_reports_unchanged_with_put_changed_0()
    {
        using var work = new TempDirectory("kag-put");
        using var root = new TargetRoot();
        var bundle = bundles.BundleDir("n01");
        var script =
            $"set -euo pipefail; ROOT='{root.Path}'; DRY_RUN=0; LOG_FILE=; RUN_TMP='{work.Path}'; " +
            "info() { :; }; warn() { :; }; fatal() { echo \"$1\" >&2; exit 1; }; log_line() { :; }; " +
            $". '{bundle}/lib/layout.env'; . '{bundle}/lib/actions.sh'; " +
            "put_content /etc/z.conf 0644 hello; echo \"first=$PUT_CHANGED\"; put_content /etc/z.conf 0644 hello; echo \"second=$PUT_CHANGED\"; " +
            "put_content /etc/z.conf 0600 hello; echo \"mode=$PUT_CHANGED\"";

        var run = Cmd.Run("bash", ["-c", script]);
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal(["first=1", "second=0", "mode=1"], run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
