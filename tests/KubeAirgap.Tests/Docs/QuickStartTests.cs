using System.Diagnostics;
using KubeAirgap.Tests.Newcomer;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Docs;

/// <summary>
/// Issue 18, "What it must show": the README's Quick start on a fresh clone with no network (a network namespace
/// with only loopback). Bundle with the shipped files fails in under 10 s, naming the unreachable host and the
/// three ways forward; Demo, as the README suggests next, then succeeds in the same clone, with no Test run before.
/// </summary>
public sealed class QuickStartTests
{
    [Fact]
    public void Readme_Quick_Start_On_A_Fresh_Clone_Without_Network_Should_Fail_Fast_Then_Demo_Should_Succeed()
    {
        // Given: a fresh clone; the README tells a newcomer to run Bundle, and Demo when there is no internet
        var readme = File.ReadAllText(Repo.File("README.md"));
        Assert.Contains("./build.sh --target=Bundle", readme, StringComparison.Ordinal);
        Assert.Contains("./build.sh --target=Demo", readme, StringComparison.Ordinal);
        using var clone = new FreshClone();
        Assert.False(Directory.Exists(clone.File("artifacts")), "a fresh clone has no build output (no Test has run in it)");

        // When: Bundle with the shipped cluster.yaml and pins.yaml, no network at all
        var clock = Stopwatch.StartNew();
        var bundle = BuildHost.Run(clone.Path, ["--target=Bundle"], isolatedNetwork: true);
        var elapsed = clock.Elapsed;

        // Then: fails at once, in at most 10 error lines, naming a host of the shipped pins and what to do
        Assert.NotEqual(0, bundle.ExitCode);
        var errors = bundle.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.InRange(errors.Length, 1, 10);
        var hosts = new[] { "dl.k8s.io", "github.com", "nginx.org", "raw.githubusercontent.com" };
        Assert.True(hosts.Any(h => bundle.Stderr.Contains($"cannot reach {h}", StringComparison.Ordinal)), bundle.Output);
        Assert.Contains("--offline", bundle.Stderr, StringComparison.Ordinal);
        Assert.Contains("[Mirrors] Map", bundle.Stderr, StringComparison.Ordinal);
        Assert.Contains("--target=Demo", bundle.Stderr, StringComparison.Ordinal);
        Assert.True(elapsed < TimeSpan.FromSeconds(10), $"took {elapsed.TotalSeconds:0.0}s:\n{bundle.Output}");

        // When: the Demo, in the same clone, still without network
        // (install.sh's staging directory its own: another installer run on this machine cleans stale ones in /var/tmp)
        var tmp = Directory.CreateDirectory(clone.File("tmp")).FullName;
        var demo = BuildHost.Run(clone.Path, ["--target=Demo", $"--demo_root={clone.File("demo-root")}"],
            new Dictionary<string, string> { ["KA_TMPDIR"] = tmp }, isolatedNetwork: true);

        // Then: the whole flow ran; the node is installed and verified
        Assert.True(demo.ExitCode == 0, demo.Output);
        Assert.Contains("[demo] done", demo.Stdout, StringComparison.Ordinal);
        Assert.Contains("installed files match the bundle", demo.Stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(clone.File("artifacts", "demo-offline", "demo-offline-k8s-01-amd64.tar.gz")), demo.Output);
        Assert.True(Directory.Exists(clone.File("demo-root", "etc", "kubernetes")), demo.Output);
        TestContext.Current.TestOutputHelper?.WriteLine($"offline Bundle failed after {elapsed.TotalSeconds:0.0}s with {errors.Length} error line(s)");
    }
}
