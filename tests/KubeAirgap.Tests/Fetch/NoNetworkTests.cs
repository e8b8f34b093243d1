using System.Diagnostics;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Fetch;

/// <summary>
/// Issue 18, point 2: a build on a machine without network (host names that cannot resolve: *.invalid) fails at once,
/// names the hosts and says what to do, in a few lines; DNS errors are not retried and no other URL on a failed host
/// is tried. Runs the real build host process, as build.sh does, with the default retry settings.
/// </summary>
public sealed class NoNetworkTests
{
    [Fact]
    public void Issue18_Bundle_Without_Network_Fails_Fast_Naming_The_Host_And_What_To_Do()
    {
        // Given the shipped inventory and pins, with every upstream host unresolvable
        using var temp = new TempDirectory("kag-no-network");
        File.Copy(Repo.File("cluster.yaml"), temp.Combine("cluster.yaml"));
        var pins = File.ReadAllText(Repo.File("pins.yaml"))
            .Replace("https://dl.k8s.io/", "https://dl.k8s.invalid/", StringComparison.Ordinal)
            .Replace("https://github.com/", "https://github.invalid/", StringComparison.Ordinal)
            .Replace("https://nginx.org/", "https://nginx.invalid/", StringComparison.Ordinal)
            .Replace("https://raw.githubusercontent.com/", "https://raw.githubusercontent.invalid/", StringComparison.Ordinal);
        temp.Write("pins.yaml", pins);
        temp.Write("cake.config", "[Paths]\nCache=cache\nArtifacts=out\nState=state\n");
        var build = Path.Combine(AppContext.BaseDirectory, "Build.dll");
        var clock = Stopwatch.StartNew();

        // When (default [Fetch] Retries=4, RetryDelaySeconds=1: a retried DNS error would take 15 s per URL)
        var run = Cmd.Run("dotnet", [build, $"--working={temp.Path}", "--target=Bundle", "--fetch_progress=plain"], temp.Path,
            new Dictionary<string, string> { ["NO_COLOR"] = "1" }, timeout: TimeSpan.FromMinutes(2));
        var elapsed = clock.Elapsed;

        // Then: a failure that names the hosts and the three ways forward, and no Lock hint (Lock cannot help offline)
        Assert.NotEqual(0, run.ExitCode);
        var errors = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.InRange(errors.Length, 1, 10);
        var failureLines = run.Output.Split('\n').Count(l => l.Contains(".invalid", StringComparison.Ordinal));
        Assert.InRange(failureLines, 1, 10);
        Assert.Contains("cannot reach dl.k8s.invalid", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("could not be resolved", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("--offline", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("[Mirrors] Map", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("--target=Demo", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Lock", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("retrying", run.Output, StringComparison.OrdinalIgnoreCase);

        // a loose bound, far below what retries would cost (13 artifacts x 15 s), not a timing assertion on speed
        Assert.True(elapsed < TimeSpan.FromSeconds(10), $"took {elapsed.TotalSeconds:0.0}s:\n{run.Output}");
        TestContext.Current.TestOutputHelper?.WriteLine($"no-network Bundle failed after {elapsed.TotalSeconds:0.0}s with {errors.Length} error line(s)");
    }
}
