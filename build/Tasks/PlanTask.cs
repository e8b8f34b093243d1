using KubeAirgap.Bundle;
using KubeAirgap.Bundle.Manifests;
using KubeAirgap.Day2;

namespace Build.Tasks;

[TaskName("Plan")]
[TaskDescription("Prints what Bundle would produce per node (files, sizes, images, upstream URLs and digests) and the diff against the last bundle; writes nothing")]
[IsDependentOn(typeof(ValidateTask))]
public sealed class PlanTask : FrostingTask<BuildContext>
{
    public override void Run(BuildContext context)
    {
        var spec = context.Cluster;
        var plan = BundlePlan.Make(spec, context.Pins, k => context.Paths.Payload(spec.Name, k), n => context.Paths.NodeTree(spec.Name, n), context.Settings.Bundle.Layout);
        var previous = BundleBuilder.PreviousManifest(StageInputs.OutputDir(context));
        var diff = previous is null ? null : BundlePlan.Diff(plan, previous);
        foreach (var line in BundlePlan.Render(plan, diff))
        {
            context.Information("{0}", line);
        }

        var changes = NodeChanges.Of(previous?.ToWorld(), NodeChanges.World.Of(spec, StageInputs.Members(context)));
        context.Information("nodes that take a bundle from this build, and why:");
        foreach (var line in changes.Lines())
        {
            context.Information("{0}", line);
        }
    }
}
