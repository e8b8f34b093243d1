using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Installer;

/// <summary>
/// Issue 19 item 6 on the node: install.sh refuses a TEST BUNDLE (KA_TEST_BUNDLE=1 in its signed lib/layout.env) for
/// install, rollback and etcd-restore unless --test-bundle (exit 11, nothing changed), says so on the other commands,
/// and the stamp cannot be edited out of the extracted bundle.
/// </summary>
public sealed class TestBundleInstallTests(TestBundles bundles) : IClassFixture<TestBundles>
{
    private const string Reason = "containerd 1.6.20 is older than the containerd 2.x Kubernetes 1.36.3 needs (version table row containerd.minimumMajor)";
    private const int ExitTestBundle = 11;

    [Theory]
    [InlineData("install")]
    [InlineData("rollback")]
    [InlineData("etcd-restore")]
    public void Should_refuse_a_test_bundle_without_test_bundle_and_change_nothing(string command)
    {
        // Given: a test bundle, an empty root
        using var root = new TargetRoot();
        string[] args = command == "etcd-restore" ? [command, root.Combine("snapshot.db"), "--yes"] : [command, "--yes"];

        // When
        var run = ExtractedBundles.Install(bundles.Bundle("test"), root, args);

        // Then: exit 11 naming component, version and minimum, and the way out; nothing written, not even the log
        Assert.True(run.ExitCode == ExitTestBundle, run.Output);
        Assert.Contains($"[ERROR] TEST BUNDLE: {Reason}.", run.Stderr, StringComparison.Ordinal);
        Assert.Contains($"{command} refuses it unless --test-bundle is given; nothing was changed", run.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(root.Path));
        Assert.False(File.Exists(root.Log), "no log is written before the refusal");
    }

    [Fact]
    public void Should_install_a_test_bundle_with_test_bundle_saying_so_and_let_verify_and_uninstall_run_with_a_warning()
    {
        // Given
        using var root = new TargetRoot();
        var bundle = bundles.Bundle("test");

        // When
        var install = ExtractedBundles.Install(bundle, root, "install", "--yes", "--test-bundle");

        // Then: installed, the warning on the screen and in the log
        Assert.True(install.ExitCode == 0, install.Output);
        Assert.Contains($"[WARN]  TEST BUNDLE: {Reason}; accepted because of --test-bundle (not for production)", install.Stderr, StringComparison.Ordinal);
        Assert.Contains($"[WARN]  TEST BUNDLE: {Reason}", File.ReadAllText(root.Log), StringComparison.Ordinal);
        Assert.True(File.Exists(root.Combine("opt", "kube-airgap", "uninstall.sh")));

        // verify and uninstall need no --test-bundle: they say what the bundle is
        var verify = ExtractedBundles.Install(bundle, root, "verify");
        Assert.True(verify.ExitCode == 0, verify.Output);
        Assert.Contains($"TEST BUNDLE: {Reason}; not for production (install refuses it without --test-bundle)", verify.Stderr, StringComparison.Ordinal);
        var uninstall = ExtractedBundles.Install(bundle, root, "uninstall", "--yes");
        Assert.True(uninstall.ExitCode == 0, uninstall.Output);
        Assert.False(File.Exists(root.Combine("opt", "kube-airgap", "uninstall.sh")), "uninstall removed what install put there");
    }

    [Fact]
    public void Should_install_a_bundle_that_is_not_a_test_bundle_with_test_bundle_and_say_the_option_changes_nothing()
    {
        using var root = new TargetRoot();

        var install = ExtractedBundles.Install(bundles.Bundle("plain"), root, "install", "--yes", "--test-bundle");

        Assert.True(install.ExitCode == 0, install.Output);
        Assert.Contains("--test-bundle: this is not a test bundle; the option changes nothing", install.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("TEST BUNDLE:", install.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_test_bundle_whose_stamp_was_edited_out_of_layout_env()
    {
        // Given: the stamp removed from the extracted lib/layout.env
        using var work = new TempDirectory("kag-unstamped");
        using var root = new TargetRoot();
        var bundle = bundles.CopyOf("test", work);
        var env = Path.Combine(bundle, "lib", "layout.env");
        var text = File.ReadAllText(env);
        Assert.Contains("KA_TEST_BUNDLE='1'\n", text, StringComparison.Ordinal);
        File.WriteAllText(env, text.Replace("KA_TEST_BUNDLE='1'\n", "KA_TEST_BUNDLE=''\n", StringComparison.Ordinal));

        // When / Then: SHA256SUMS catches it
        var edited = ExtractedBundles.Install(bundle, root, "install", "--yes");
        Assert.True(edited.ExitCode == 4, edited.Output);
        Assert.Contains("[ERROR] lib/layout.env: sha256 ", edited.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(root.Path));

        // and with SHA256SUMS edited to match, its signature does
        var sums = Path.Combine(bundle, "SHA256SUMS");
        var line = File.ReadAllLines(sums).Single(l => l.EndsWith("  lib/layout.env", StringComparison.Ordinal));
        var actual = Cmd.Run("sha256sum", env).EnsureSuccess("sha256sum").Stdout.Split(' ')[0];
        File.WriteAllText(sums, File.ReadAllText(sums).Replace(line, $"{actual}  lib/layout.env", StringComparison.Ordinal));
        var resummed = ExtractedBundles.Install(bundle, root, "install", "--yes");
        Assert.True(resummed.ExitCode == 4, resummed.Output);
        Assert.Contains("SHA256SUMS: signature does not verify with", resummed.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(root.Path));
    }
}
