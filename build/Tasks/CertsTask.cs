using KubeAirgap.Pki;
using KubeAirgap.Pki.Report;

namespace Build.Tasks;

[TaskName("Certs")]
[TaskDescription("Expiry of every certificate per node and file, as the node trees (bundles) carry them, like kubeadm certs check-expiration; warns about leaves within pki.renewBeforeDays (--pki_asof=DATE: as of that date)")]
[IsDependentOn(typeof(ValidateTask))]
public sealed class CertsTask : FrostingTask<BuildContext>
{
    public override void Run(BuildContext context)
    {
        var spec = context.Cluster;
        var renewal = context.Settings.Pki.Renewal;
        var now = DateTimeOffset.UtcNow;
        var asOf = renewal.WindowFrom(now);
        var nodes = spec.Nodes.ToDictionary(n => n.Name, n => NodeCertificate.Read(spec, n, context.Paths.NodeTree(spec.Name, n.Name)), StringComparer.Ordinal);
        foreach (var line in CertReport.Lines(spec, nodes, asOf, renewal.AsOf is not null))
        {
            context.Information("{0}", line);
        }

        foreach (var warning in CertReport.Warnings(spec, nodes, asOf, renewal.AsOf is not null))
        {
            context.Warning("{0}", warning);
        }
    }
}
