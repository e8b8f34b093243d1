using Cake.Common;
using KubeAirgap.TestSupport.Harness;

namespace Build.Tasks;

/// <summary>
/// The offline Demo (tests/e2e/demo.sh): loopback mirror and registry with content for every arch of the inventory,
/// the whole pipeline for that inventory (--cluster, default the demo inventory), one node (--node, default the
/// first) installed into a temporary root with install.sh --root, install.sh verify, where everything is.
/// --mirror_dir uses a mirror the Mirror target started instead of starting one. Installs the mirror's Debian dependencies first when they are missing (see <see cref="DemoHost"/>). The pins
/// come from the mirror, so it does not run Validate with pins.yaml.
/// </summary>
[TaskName("Demo")]
[TaskDescription("The whole flow offline for --cluster (default: a demo inventory): loopback mirror, Bundle, install.sh --root of --node, verify (Linux)")]
public sealed class DemoTask : FrostingTask<BuildContext>
{
    public override void Run(BuildContext context)
    {
        var plan = DemoHost.Plan(context);
        DemoHost.EnsureDependencies(context, plan, "Demo");
        context.Information("Demo: {0} ({1} node(s), arches {2}); installing {3} ({4}) into a --root tree",
            plan.ClusterName, plan.NodeCount, plan.ArchList, plan.Node.Name, plan.Node.Arch);

        var environment = DemoHost.ScriptEnvironment();
        environment["KA_DEMO_INVENTORY"] = plan.InventoryPath;
        environment["KA_DEMO_CLUSTER"] = plan.ClusterName;
        environment["KA_DEMO_NODE"] = plan.Node.Name;
        environment["KA_DEMO_NODE_ARCH"] = plan.Node.Arch;
        environment["KA_DEMO_ARCHES"] = plan.ArchList;
        environment["KA_DEMO_K8S"] = plan.KubernetesVersion;
        environment["KA_DEMO_ARTIFACTS"] = context.Paths.Artifacts;
        environment["KA_DEMO_STATE"] = context.Paths.StateRoot;
        // the Bundle build runs in this same build host, not a second compile through ./build.sh
        environment["KA_BUILD_DLL"] = typeof(DemoTask).Assembly.Location;
        if (context.HasArgument("demo_root"))
        {
            environment["KA_DEMO_ROOT"] = System.IO.Path.GetFullPath(context.Argument<string>("demo_root"), context.Root);
        }

        if (context.HasArgument("mirror_dir"))
        {
            // a mirror the Mirror target started (e.g. to pin a workload image by the digest it serves)
            environment["KA_DEMO_MIRROR"] = System.IO.Path.GetFullPath(context.Argument<string>("mirror_dir"), context.Root);
        }

        var script = new HarnessScript(System.IO.Path.Combine(context.Root, "tests", "e2e", "demo.sh"), [], environment);
        var exit = script.Run(line => context.Information("{0}", line));
        if (exit != 0)
        {
            throw new InvalidOperationException($"Demo failed: {script.ScriptPath} exited {exit} (see the output above)");
        }
    }
}
