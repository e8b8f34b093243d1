using KubeAirgap.Pki;

namespace Build.Tasks;

[TaskName("Pki")]
[TaskDescription("Creates or reuses the cluster's CAs, certificates, kubeconfigs and secrets (state/<cluster>/) and writes each node's PKI files")]
[IsDependentOn(typeof(ValidateTask))]
public sealed class PkiTask : FrostingTask<BuildContext>
{
    public override void Run(BuildContext context)
    {
        var spec = context.Cluster;
        var engine = StageInputs.NewPkiEngine(context, line => context.Verbose("{0}", line));
        var result = PkiBuild.Run(engine, spec, node => context.Paths.NodeTree(spec.Name, node), StageInputs.OutputDir(context));
        foreach (var line in PkiBuild.Report(spec, engine, result))
        {
            context.Information("{0}", line);
        }
    }
}
