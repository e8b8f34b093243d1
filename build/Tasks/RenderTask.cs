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
        var relax = context.Settings.Test.RelaxSupportedVersions;
        var record = RenderRecord.For(cluster, pins, relax);
        if (record.TestBundle is { } stamp)
        {
            context.Warning("{0}", stamp.Banner);
        }

        foreach (var warning in ModelBuilder.Warnings(cluster, pins, relax))
        {
            context.Warning("{0}", warning);
        }

        // who joins etcd: state/<cluster>/members.json (else the last bundle-manifest.json) brought to cluster.yaml
        var members = StageInputs.Members(context);
        var versions = ModelBuilder.VersionsOf(cluster, pins, relax);
        context.Information("Rendering for {0}", string.Join(", ", versions.Versions.Select(v => $"{v.Key} {v.Value}")));
        var options = new RenderOptions { TemplatesDir = context.Paths.Templates, RelaxSupportedVersions = relax, EtcdJoiners = members.EtcdJoiners };
        var rendered = new ClusterRenderer(cluster, pins, options, key => context.Paths.Payload(cluster.Name, key.Name)).Render();

        // recorded before any tree changes, for Bundle (another task): a relaxed render always yields a stamped bundle
        record.Write(context.Paths.ClusterArtifacts(cluster.Name));
        members.Save(context.Paths.State(cluster.Name));
        foreach (var joiner in members.EtcdJoiners)
        {
            context.Information("{0}: joins the running etcd cluster (etcdctl member add by its installer, then --initial-cluster-state=existing)", joiner);
        }

        foreach (var node in rendered.Write(name => context.Paths.NodeTree(cluster.Name, name)))
        {
            context.Information("{0}: {1} file(s), {2} changed -> {3}", node.Node.Name, node.Files.Count, node.Changed, node.Tree);
            foreach (var file in node.Files)
            {
                context.Verbose("  {0} {1}", file.ModeText, file.Path);
            }
        }
    }
}
