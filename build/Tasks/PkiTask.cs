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
        var engine = CreateEngine(context, line => context.Verbose("{0}", line));
        var result = PkiBuild.Run(engine, spec, node => context.Paths.NodeTree(spec.Name, node));
        var manifest = System.IO.Path.Combine(context.Paths.ClusterArtifacts(spec.Name), PkiBuild.ManifestName);
        KubeAirgap.Pki.State.SecureFile.Write(manifest, PkiBuild.Manifest(spec, result), KubeAirgap.Pki.State.SecureFile.Public);

        var certs = result.Material.Certificates;
        context.Information(
            "PKI of {0}: {1} certificate(s) ({2} created, {3} re-issued, {4} imported, {5} reused) in {6}; {7} node file(s) changed; CA keys on nodes: {8}",
            spec.Name, certs.Count,
            certs.Count(c => c.Action == PkiAction.Created), certs.Count(c => c.Action == PkiAction.Reissued),
            certs.Count(c => c.Action == PkiAction.Imported), certs.Count(c => c.Action == PkiAction.Reused),
            engine.Store.Root, result.Changes, spec.Pki.CaKeyOnNodes ? "cluster CA key on control-plane nodes" : "none (CSR signer off)");
        foreach (var c in certs.Where(c => c.Action == PkiAction.Reissued))
        {
            context.Information("re-issued {0}: {1}", c.Label, c.Reason);
        }

        if (result.Reissued.Count > 0)
        {
            context.Information(
                "renewal: {0} leaf certificate(s) re-issued by the same CAs{1}; nodes whose files changed (run Bundle, install their new bundles): {2}",
                result.Reissued.Count, engine.Renewal.AsOf is { } at ? $", window as of {at:yyyy-MM-dd} (--pki_asof)" : string.Empty,
                string.Join(", ", result.ChangedNodes));
        }
    }

    /// <summary>--pki_asof=DATE (clock override for the renewal window) and --pki_renew=all|NAME,... (kubeadm's certs renew); [Pki] AsOf= / Renew= in cake.config.</summary>
    internal static RenewalPolicy Renewal(BuildContext context) =>
        RenewalPolicy.Parse(context.Setting("Pki", "AsOf", string.Empty), context.Setting("Pki", "Renew", string.Empty));

    /// <summary>
    /// The engine for this run: state/&lt;cluster&gt;/, [Pki] Import= (or --pki_import=DIR) as the CA import directory.
    /// Refuses to go on when state's CA is not the one the last bundle-manifest.json records, unless --pki_newcluster=true.
    /// </summary>
    internal static PkiEngine CreateEngine(BuildContext context, Action<string> log)
    {
        var import = context.Setting("Pki", "Import", string.Empty);
        var engine = new PkiEngine(context.Cluster, context.Paths.State(context.Cluster.Name), log: log)
        {
            ImportDir = import.Length == 0 ? null : System.IO.Path.GetFullPath(import, context.Root),
            Renewal = Renewal(context),
        };
        ClusterIdentity.Check(
            engine.Store, context.Cluster.Name,
            System.IO.Path.Combine(context.Paths.ClusterArtifacts(context.Cluster.Name), KubeAirgap.Bundle.BundleRequest.ManifestName),
            context.Setting("Pki", "NewCluster", false));
        return engine;
    }
}
