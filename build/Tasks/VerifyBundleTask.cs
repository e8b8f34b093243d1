using KubeAirgap.Bundle.Verification;
using KubeAirgap.Bundle;

namespace Build.Tasks;

[TaskName("VerifyBundle")]
[TaskDescription("Opens every bundle offline: checksums, signature, unsafe members, binaries against pins.yaml, every unit's binary and every named image present")]
[IsDependentOn(typeof(BundleTask))]
public sealed class VerifyBundleTask : FrostingTask<BuildContext>
{
    public override void Run(BuildContext context)
    {
        var reports = BundleVerifier.Verify(StageInputs.OutputDir(context), context.Pins);
        if (BundleVerifier.TestBundleOf(StageInputs.OutputDir(context)) is { } stamp)
        {
            context.Warning("{0}", stamp.Banner);
        }

        context.Information("{0,-12} {1,10} {2,6} {3,7} {4,8}  {5}", "node", "size", "files", "images", "secrets", "result");
        foreach (var r in reports)
        {
            context.Information("{0,-12} {1,10} {2,6} {3,7} {4,8}  {5}", r.Node, BundlePlan.Size(r.Size), r.Files, r.Images, r.Secrets, r.Problems.Count == 0 ? "complete" : $"{r.Problems.Count} problem(s)");
            foreach (var p in r.Problems)
            {
                context.Error("  {0}: {1}", r.Bundle, p);
            }
        }

        var bad = reports.Sum(r => r.Problems.Count);
        if (bad > 0)
        {
            throw new InvalidOperationException($"VerifyBundle: {bad} problem(s) in {reports.Count(r => r.Problems.Count > 0)} bundle(s)");
        }
    }
}
