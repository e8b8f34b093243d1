using KubeAirgap.TestSupport.Harness;

namespace Build.Tasks;

/// <summary>
/// The VM end-to-end test (tests/e2e/run.sh): bundles built against the loopback mirror, three air-gapped VMs with
/// systemd install them. It builds its own inventory and pins, so it does not run Validate on cluster.yaml.
/// Settings: [E2E] Cache, KeepWork, InstallTimeoutSeconds, Scenarios (a space-separated subset of run.sh's scenarios;
/// default all).
/// </summary>
[TaskName("E2E")]
[TaskDescription("Three air-gapped QEMU VMs with systemd install a cluster from their bundles (tests/e2e/run.sh; Linux, root)")]
public sealed class E2ETask : FrostingTask<BuildContext>
{
    public override void Run(BuildContext context)
    {
        var missing = HostTools.Missing(HostTools.Vms, Environment.GetEnvironmentVariable("PATH") ?? string.Empty);
        if (missing.Count > 0)
        {
            throw new InvalidOperationException("E2E: " + HostTools.Describe(missing));
        }

        var environment = new Dictionary<string, string>
        {
            ["KA_E2E_CACHE"] = context.Setting("E2E", "Cache", "/var/cache/kube-airgap-e2e"),
            ["KA_E2E_KEEP_WORK"] = context.Setting("E2E", "KeepWork", false) ? "1" : "0",
            ["KA_E2E_INSTALL_TIMEOUT"] = context.Setting("E2E", "InstallTimeoutSeconds", 2700).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["NO_COLOR"] = "1",
        };
        var scenarios = context.Setting("E2E", "Scenarios", string.Empty);
        if (scenarios.Length > 0)
        {
            environment["KA_E2E_SCENARIOS"] = scenarios;
        }

        var script = new HarnessScript(System.IO.Path.Combine(context.Root, "tests", "e2e", "run.sh"), [], environment);
        var exit = script.Run(line => context.Information("{0}", line));
        if (exit != 0)
        {
            throw new InvalidOperationException($"E2E failed: {script.ScriptPath} exited {exit} (the failing checks, serial log tail and unit journals are above)");
        }
    }
}
