using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Installer;

/// <summary>
/// Issue 13 point 8 for the installer's own parts: install.sh killed with SIGKILL at a file rename (the moment a
/// file, a state file or a record changes) and run again ends with the same tree as a clean install, and uninstall
/// after it still restores the original tree; the killed run's private copy of the bundle is removed by the next run.
/// </summary>
public sealed class InterruptionTests(ExtractedBundles bundles) : IClassFixture<ExtractedBundles>
{
    [Theory]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(30)]
    [InlineData(1000)] // after the last rename: the run is killed by its own end, i.e. not at all
    public void Killed_at_the_nth_rename_and_run_again_gives_a_clean_installs_tree(int killAt)
    {
        var bundle = bundles.BundleDir("n02");
        using var clean = new TargetRoot();
        Assert.Equal(0, ExtractedBundles.Install(bundle, clean).ExitCode);

        using var work = new TempDirectory("kag-kill");
        using var root = new TargetRoot();
        Directory.CreateDirectory(work.Combine("tmp"));
        work.Write("bin/mv", "#!/bin/bash\nn=$(( $(cat \"$KILL_COUNT\" 2>/dev/null || echo 0) + 1 ))\necho \"$n\" > \"$KILL_COUNT\"\n" +
            "if [ \"$n\" -eq \"$KILL_AT\" ]; then kill -KILL \"$PPID\"; sleep 5; fi\nexec /usr/bin/mv \"$@\"\n");
        Cmd.Run("chmod", "+x", work.Combine("bin/mv")).EnsureSuccess("chmod");
        var env = new Dictionary<string, string>
        {
            ["PATH"] = work.Combine("bin") + ":" + Environment.GetEnvironmentVariable("PATH"),
            ["KILL_AT"] = killAt.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["KILL_COUNT"] = work.Combine("count"),
            ["KA_TMPDIR"] = work.Combine("tmp"),
        };

        var killed = ExtractedBundles.InstallWithoutKey(bundle, root, ["install", "--pubkey", ExtractedBundles.PubKeyBeside(bundle)], env);
        if (killAt < 1000)
        {
            Assert.True(killed.ExitCode == 137, killed.Output);
            Assert.NotEmpty(Directory.GetFileSystemEntries(work.Combine("tmp")));
        }

        var again = ExtractedBundles.InstallWithoutKey(bundle, root, ["install", "--pubkey", ExtractedBundles.PubKeyBeside(bundle)],
            new Dictionary<string, string> { ["KA_TMPDIR"] = work.Combine("tmp") });
        Assert.True(again.ExitCode == 0, again.Output);
        Assert.Empty(Directory.GetFileSystemEntries(work.Combine("tmp")));
        Assert.Equal(ExtractedBundles.TreeOf(clean.Path), ExtractedBundles.TreeOf(root.Path));

        var uninstall = ExtractedBundles.Install(bundle, root, "uninstall", "--yes", "--purge");
        Assert.True(uninstall.ExitCode == 0, uninstall.Output);
        Assert.Empty(Directory.GetFileSystemEntries(root.Path));
    }
}
