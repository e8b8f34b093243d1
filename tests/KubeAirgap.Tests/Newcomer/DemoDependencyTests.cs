using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Newcomer;

/// <summary>
/// Issue 18: "Demo on a fresh machine fails ... and tells the user to run a script under tests/". Now the Demo installs
/// what it needs itself; where it cannot (here: no apt-get on PATH), it prints the exact command and exits 2.
/// </summary>
public sealed class DemoDependencyTests
{
    [Fact]
    public void Demo_Should_Exit_2_With_The_Exact_Install_Command_When_It_Cannot_Install_Its_Dependencies()
    {
        // Given: a PATH with nothing on it (no mirror tools, no apt-get, no sudo) and an empty dependency directory
        using var temp = new TempDirectory("kag-demo-nodeps");
        var env = new Dictionary<string, string>
        {
            ["PATH"] = temp.Path,
            ["KA_TEST_DEPS_DIR"] = temp.Combine("deps"),
            ["CAKE_PATHS_ARTIFACTS"] = temp.Combine("artifacts"),
        };

        // When (dotnet by its full path: the build host itself needs no PATH)
        var run = Cmd.Run(BuildHost.Dotnet, [BuildHost.Dll, $"--working={Repo.Root}", "--target=Demo"], Repo.Root, env);

        // Then
        Assert.True(run.ExitCode == 2, $"exit {run.ExitCode}:\n{run.Output}");
        Assert.Contains("missing on this host: python3 (Debian package python3)", run.Output, StringComparison.Ordinal);
        Assert.Contains("docker-registry (Debian package docker-registry)", run.Output, StringComparison.Ordinal);
        Assert.Contains("apt-get is not on PATH", run.Output, StringComparison.Ordinal);
        Assert.Contains($"sudo bash {Repo.File("tests", "install-test-deps.sh")} --for=demo", run.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Combine("artifacts")), "nothing is built before the dependencies are there");
    }
}
