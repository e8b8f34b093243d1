using KubeAirgap.Pki;

namespace Build.Tasks;

[TaskName("Certs")]
[TaskDescription("Lists every certificate of the cluster: subject, SANs, issuer, usages and expiry; warns 30 days before a leaf expires")]
[IsDependentOn(typeof(PkiTask))]
public sealed class CertsTask : FrostingTask<BuildContext>
{
    public override void Run(BuildContext context)
    {
        var material = PkiTask.CreateEngine(context, _ => { }).Run();
        var now = DateTimeOffset.UtcNow;
        foreach (var line in CertReport.Lines(material, now))
        {
            context.Information("{0}", line);
        }

        foreach (var warning in CertReport.Warnings(material, now, context.Cluster.Pki.CaKeyOnNodes))
        {
            context.Warning("{0}", warning);
        }
    }
}
