using KubeAirgap.Bundle;
using KubeAirgap.Cluster;
using KubeAirgap.Day2;
using KubeAirgap.Layout;
using KubeAirgap.Render;
using KubeAirgap.Render.Model;

namespace Build.Tasks;

[TaskName("Render")]
[TaskDescription("Renders every node's units, configs and add-on manifests into artifacts/<cluster>/nodes/<node>/")]
[IsDependentOn(typeof(FetchTask))]
[IsDependentOn(typeof(PkiTask))]
public sealed class RenderTask : FrostingTask<BuildContext>
{
    public override void Run(BuildContext context)
    {
        var cluster = context.Cluster;
        var pins = context.Pins;
        // test only (the VM test and the Demo pin Debian's containerd 1.6): relaxes the supported-versions check alone
        var relax = context.Setting("Test", "RelaxSupportedVersions", false);
        if (relax)
        {
            context.Warning("test setting RelaxSupportedVersions: versions older than Kubernetes {0} supports are rendered anyway", cluster.KubernetesVersion);
        }

        foreach (var warning in ModelBuilder.Warnings(cluster, pins, relax))
        {
            context.Warning("{0}", warning);
        }

        // who joins etcd: state/<cluster>/members.json (else the last bundle-manifest.json) brought to cluster.yaml
        var stateDir = context.Paths.State(cluster.Name);
        var members = Membership.Next(Membership.Load(stateDir), BundleBuilder.PreviousManifest(BundleSettings.OutputDir(context))?.ToWorld(), cluster);

        var versions = ModelBuilder.VersionsOf(cluster, pins, relax);
        context.Information("Rendering for {0}", string.Join(", ", versions.Versions.Select(v => $"{v.Key} {v.Value}")));

        // render everything first: a template error leaves no node tree half-updated
        var rendered = cluster.Nodes.Select(node =>
        {
            var options = new RenderOptions
            {
                TemplatesDir = context.Paths.Templates,
                CalicoManifest = Path.Combine(context.Paths.Payload(cluster.Name, PayloadKey.Of(node).Name), FileCatalog.CalicoOutput),
                RelaxSupportedVersions = relax,
                EtcdJoiners = members.EtcdJoiners,
            };
            return (node, files: new NodeRenderer(cluster, pins, options).Render(node));
        }).ToList();

        members.Save(stateDir);
        foreach (var joiner in members.EtcdJoiners)
        {
            context.Information("{0}: joins the running etcd cluster (etcdctl member add by its installer, then --initial-cluster-state=existing)", joiner);
        }

        foreach (var (node, files) in rendered)
        {
            var tree = context.Paths.NodeTree(cluster.Name, node.Name);
            var changed = TreeWriter.Write(tree, files);
            context.Information("{0}: {1} file(s), {2} changed -> {3}", node.Name, files.Count, changed, tree);
            foreach (var file in files)
            {
                context.Verbose("  {0} {1}", file.ModeText, file.Path);
            }
        }
    }
}
