using KubeAirgap.TestSupport.Harness;

namespace Build.Tasks;

/// <summary>
/// The offline Demo (tests/e2e/demo.sh): loopback mirror and registry, the whole pipeline for a demo inventory,
/// one node installed into a temporary root with install.sh --root, install.sh verify, where everything is.
/// It builds its own inventory and pins, so it does not run Validate on cluster.yaml.
/// </summary>
[TaskName("Demo")]
[TaskDescription("The whole flow offline: loopback mirror, Bundle for a demo inventory, install.sh --root and verify (Linux)")]
public sealed class DemoTask : FrostingTask<BuildContext>
{
    public override void Run(BuildContext context)
    {
        var missing = HostTools.Missing(HostTools.Mirror, Environment.GetEnvironmentVariable("PATH") ?? string.Empty);
        if (missing.Count > 0)
        {
            throw new InvalidOperationException("Demo: " + HostTools.Describe(missing));
        }

        var environment = new Dictionary<string, string> { ["NO_COLOR"] = "1" };
        var script = new HarnessScript(System.IO.Path.Combine(context.Root, "tests", "e2e", "demo.sh"), [], environment);
        var exit = script.Run(line => context.Information("{0}", line));
        if (exit != 0)
        {
            throw new InvalidOperationException($"Demo failed: {script.ScriptPath} exited {exit} (see the output above)");
        }
    }
}
