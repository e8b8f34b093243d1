using Cake.Common;
using KubeAirgap.TestSupport.Harness;

namespace Build.Tasks;

/// <summary>
/// Starts the loopback file mirror and registry (tests/e2e/mirror.sh) for an inventory (--cluster, default the demo
/// inventory) and leaves them running: prints the Bundle command with the arguments that point the pipeline at them.
/// --mirror_stop stops them. The directory is [Paths] Artifacts/mirror, or --mirror_dir.
/// </summary>
[TaskName("Mirror")]
[TaskDescription("Starts the loopback fixture mirror and registry for --cluster and prints the Bundle arguments to use them (--mirror_stop stops them)")]
public sealed class MirrorTask : FrostingTask<BuildContext>
{
    public override void Run(BuildContext context)
    {
        var dir = context.HasArgument("mirror_dir")
            ? System.IO.Path.GetFullPath(context.Argument<string>("mirror_dir"), context.Root)
            : System.IO.Path.Combine(context.Paths.Artifacts, "mirror");
        var mirror = System.IO.Path.Combine(context.Root, "tests", "e2e", "mirror.sh");
        if (context.HasArgument("mirror_stop"))
        {
            Run(context, new HarnessScript(mirror, ["stop", dir], DemoHost.ScriptEnvironment()));
            context.Information("Mirror: the servers of {0} are stopped", dir);
            return;
        }

        var plan = DemoHost.Plan(context);
        DemoHost.EnsureDependencies(context, plan, "Mirror");
        Run(context, new HarnessScript(mirror, ["stop", dir], DemoHost.ScriptEnvironment()));
        Run(context, new HarnessScript(mirror, ["start", dir, plan.KubernetesVersion, plan.ArchList], DemoHost.ScriptEnvironment()));

        var arguments = File.ReadAllLines(System.IO.Path.Combine(dir, "build-args")).Where(l => l.Length > 0).ToList();
        var images = File.ReadAllLines(System.IO.Path.Combine(dir, "images.txt")).Where(l => l.Length > 0).ToList();
        context.Information("{0}", MirrorInstructions.Format(plan, context.ClusterFileAsGiven, context.HasArgument("cluster"), dir, arguments, images));
    }

    private static void Run(BuildContext context, HarnessScript script)
    {
        var exit = script.Run(line => context.Information("{0}", line));
        if (exit != 0)
        {
            throw new InvalidOperationException($"Mirror: {script.ScriptPath} exited {exit} (see the output above)");
        }
    }
}
