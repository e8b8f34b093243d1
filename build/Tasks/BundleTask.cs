using KubeAirgap.Bundle;
using KubeAirgap.Deploy;

namespace Build.Tasks;

[TaskName("Bundle")]
[TaskDescription("Writes artifacts/<cluster>/<cluster>-<node>-<arch>.tar.gz per node (with [Bundle] Layout=fleet also <cluster>-payload-<arch>-<roles>.tar.gz per payload), SHA256SUMS, bundle-manifest.json, sbom.spdx.json, and deploy/ (Ansible inventory and playbook)")]
[IsDependentOn(typeof(NginxTask))]
[IsDependentOn(typeof(ImagesTask))]
public sealed class BundleTask : FrostingTask<BuildContext>
{
    public override void Run(BuildContext context)
    {
        var request = StageInputs.NewBundleRequest(context);
        var result = BundleBuilder.Build(request);
        if (result.Manifest.TestBundle is { } stamp)
        {
            context.Warning("{0}", stamp.Banner);
        }

        foreach (var warning in result.Warnings)
        {
            context.Warning("Bundle: {0}", warning);
        }

        foreach (var p in result.Payloads)
        {
            context.Information("{0}  {1,10}  {2} (payload {3}, fleet layout)", p.Sha256, BundlePlan.Size(p.Size), p.Bundle, p.Key);
        }

        foreach (var t in result.Tarballs)
        {
            context.Information("{0}  {1,10}  {2}", t.Sha256, BundlePlan.Size(t.Size), System.IO.Path.GetFileName(t.Path));
        }

        context.Information(
            "{0} bundle(s) in {1}: {2} kept (inputs unchanged), {3} written; {4} shared payload member(s) compressed, the rest reused from {5}{6}",
            result.Tarballs.Count, request.OutputDir, result.TarballsKept, BundlePlan.Size(result.BytesWritten), result.PayloadsCompressed, request.PayloadCacheDir,
            "; SHA256SUMS signed");
        if (KubeAirgap.Bundle.Tar.NodeTarball.DescribePayloadCopies(result.Tarballs) is { } copies)
        {
            context.Information("payload member into the tarballs written: {0}", copies);
        }

        context.Information(
            "read {0} file(s) ({1}) to hash them; {2} unchanged since the last build, not read again ({3})",
            result.Reads.FilesRead, BundlePlan.Size(result.Reads.BytesRead), result.Reads.FilesReused, request.DigestCacheFile);
        context.Information("nodes that take a bundle from this build, and why:");
        foreach (var line in result.Changes.Lines())
        {
            context.Information("{0}", line);
        }

        var deploy = DeployWriter.Write(new DeployRequest(request.Spec, request.OutputDir, context.Paths.Templates, Fleet: request.Layout == BundleLayout.Fleet));
        context.Information(
            "Ansible rollout in {0}: {1} written, {2} unchanged (cd there and run ansible-playbook playbook.yml; README.md)",
            deploy.Dir, deploy.Written.Count, deploy.Kept.Count);
        context.Information(
            "signing key fingerprint {0} (sha256 of {1}); before extracting a tarball anywhere: {2}/{3} <tarball>",
            request.SignerOrThrow.Fingerprint(), BundleRequest.PublicKeyName(request.Spec), request.OutputDir, BundleRequest.VerifyScriptName);
    }
}
