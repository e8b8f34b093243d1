using System.Diagnostics;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Host;

/// <summary>Output that is not a terminal (a CI log, a pipe) carries no escape sequences, whatever TERM says.</summary>
public sealed class PlainOutputTests
{
    [Fact]
    public async Task Piped_Output_Should_Hold_No_Escape_Sequences_With_TERM_xterm()
    {
        // Given: the build host as build.sh runs it, its output piped, a terminal type that claims colours
        var buildDll = Path.Combine(AppContext.BaseDirectory, "Build.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Repo.Root,
        };
        foreach (var arg in new[] { buildDll, "--target=Validate", "--verbosity=diagnostic", $"--working={Repo.Root}" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("NO_COLOR");
        start.Environment["TERM"] = "xterm-256color";
        start.Environment["COLORTERM"] = "truecolor";

        // When
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Xunit.TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(Xunit.TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(Xunit.TestContext.Current.CancellationToken);
        var output = await stdout + await stderr;

        // Then
        Assert.True(process.ExitCode == 0, output);
        Assert.Contains("Validate", output, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', output);
    }
}
