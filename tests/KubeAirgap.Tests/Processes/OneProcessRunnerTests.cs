using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Processes;

/// <summary>src starts programs only through Processes/ProcessRunner (issue 19: five hand-written runners had grown).</summary>
public sealed class OneProcessRunnerTests
{
    [Fact]
    public void Should_start_no_process_outside_the_process_runner()
    {
        var src = Repo.File("src", "KubeAirgap");
        var runners = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
            .Where(f => Path.GetRelativePath(src, f).Split('/')[0] != "Processes")
            .Where(f => File.ReadAllText(f) is var text
                && (text.Contains("ProcessStartInfo", StringComparison.Ordinal) || text.Contains("Process.Start(", StringComparison.Ordinal)
                    || text.Contains("Cli.Wrap(", StringComparison.Ordinal)))
            .Select(f => Path.GetRelativePath(Repo.Root, f))
            .ToList();

        Assert.True(runners.Count == 0, "start programs through KubeAirgap.Processes.ProcessRunner, not: " + string.Join(", ", runners));
    }
}
