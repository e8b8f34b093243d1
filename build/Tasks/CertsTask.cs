using KubeAirgap.Pki;

namespace Build.Tasks;

[TaskName("Certs")]
[TaskDescription("Lists every certificate of the cluster: subject, SANs, issuer, usages and expiry")]
[IsDependentOn(typeof(PkiTask))]
public sealed class CertsTask : FrostingTask<BuildContext>
{
    public override void Run(BuildContext context)
    {
        var material = PkiTask.CreateEngine(context, _ => { }).Run();
        foreach (var line in CertReport.Lines(material, DateTimeOffset.UtcNow))
        {
            context.Information("{0}", line);
        }
    }
}
