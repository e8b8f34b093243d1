using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Installer;

/// <summary>shellcheck over every shell file of the repository: *.sh and every file whose first line is a sh/bash shebang.</summary>
public sealed class ShellcheckTests
{
    /// <summary>Tracked and new (not ignored) files, by name or by shebang.</summary>
    internal static IReadOnlyList<string> ShellFiles()
    {
        var listed = Cmd.Run("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], Repo.Root).EnsureSuccess("git ls-files").Stdout
            .Split('\0', StringSplitOptions.RemoveEmptyEntries);
        return listed
            .Where(f => File.Exists(Repo.File(f)))
            // a Scriban template is not shell until rendered: its rendered form is checked (tests/golden, EtcdBackupUnitTests)
            .Where(f => !f.EndsWith(".scriban", StringComparison.Ordinal))
            .Where(f => f.EndsWith(".sh", StringComparison.Ordinal) || HasShellShebang(Repo.File(f)))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private static bool HasShellShebang(string path)
    {
        using var reader = new StreamReader(path);
        var first = reader.ReadLine() ?? string.Empty;
        return System.Text.RegularExpressions.Regex.IsMatch(first, @"^#!\s*\S*(/|env\s+)(ba)?sh(\s|$)");
    }

    [Fact]
    public void Every_shell_file_in_the_repository_is_found_including_the_ones_without_sh()
    {
        var files = ShellFiles();
        Assert.Contains("tests/install-test-deps.sh", files);
        Assert.Contains("src/installer/install.sh", files);
        Assert.Contains("src/installer/lib/reset.sh", files);
        Assert.Contains(".ci/run", files);
        Assert.Contains("tests/fixtures/kube/crictl", files);
    }

    [Fact]
    public void Shellcheck_passes_on_every_shell_file_in_the_repository()
    {
        var files = ShellFiles();
        var run = Cmd.Run("shellcheck", ["-x", "--source-path=SCRIPTDIR", "--severity=style", .. files], Repo.Root);
        Assert.True(run.ExitCode == 0, $"shellcheck over {files.Count} files:\n{run.Output}");
    }

    [Fact]
    public void A_comment_that_starts_with_the_word_shellcheck_is_a_directive_and_would_stop_the_check()
    {
        // Why install-test-deps.sh was never checked: such a line is parsed as a directive, and shellcheck stops.
        using var dir = new TempDirectory("kag-sc");
        dir.Write("x.sh", "#!/usr/bin/env bash\n# Installs:\n#   shellcheck, openssl\necho $1\n");
        var run = Cmd.Run("shellcheck", ["--severity=style", dir.Combine("x.sh")]);
        Assert.Contains("SC1073", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("SC2086", run.Output, StringComparison.Ordinal);
    }
}
