using KubeAirgap.Bundle;

namespace Build.Tasks;

[TaskName("Plan")]
[TaskDescription("Prints what Bundle would produce per node (files, sizes, images, upstream URLs and digests) and the diff against the last bundle; writes nothing")]
[IsDependentOn(typeof(ValidateTask))]
public sealed class PlanTask : FrostingTask<BuildContext>
{
    public override void Run(BuildContext context)
    {
        var spec = context.Cluster;
        var plan = BundlePlan.Make(spec, context.Pins, k => context.Paths.Payload(spec.Name, k), n => context.Paths.NodeTree(spec.Name, n));
        var previous = System.IO.Path.Combine(BundleSettings.OutputDir(context), BundleRequest.ManifestName);
        var diff = File.Exists(previous) ? BundlePlan.Diff(plan, BundleJson.Read<BundleSetManifest>(previous)) : null;
        foreach (var line in BundlePlan.Render(plan, diff))
        {
            context.Information("{0}", line);
        }
    }
}
