using KubeAirgap.Cluster;
using KubeAirgap.Diagnostics;
using KubeAirgap.Pins;
using KubeAirgap.Render.Calico;
using KubeAirgap.Render.Model;
using KubeAirgap.Render.Versions;
using KubeAirgap.Roles;

namespace KubeAirgap.Render;

/// <summary>
/// Renders the file set of one node: every <see cref="FileCatalog"/> entry for its roles, plus on control-plane nodes
/// the patched Calico manifest and the user's own manifests (<see cref="UserAddons"/>).
/// </summary>
public sealed class NodeRenderer(ClusterSpec spec, PinsFile pins, RenderOptions options)
{
    private readonly TemplateEngine _engine = new(options.TemplatesDir);

    public IReadOnlyList<RenderedFile> Render(NodeSpec node)
    {
        var model = ModelBuilder.Build(spec, pins, node, options);
        var versions = ModelBuilder.VersionsOf(spec, pins, options.RelaxSupportedVersions);
        var files = new List<RenderedFile>();
        foreach (var file in FileCatalog.Files.Where(f => f.IsFor(node)))
        {
            var template = file.Template ?? versions.Setting(file.TemplateSetting!);
            files.Add(new RenderedFile(file.Output, file.UnixMode, _engine.Render(template, model)));
        }

        if (node.Has(NodeRole.ControlPlane))
        {
            var manifest = options.CalicoManifest
                ?? throw new InputException($"node {node.Name} applies add-ons but no staged Calico manifest was given");
            if (!File.Exists(manifest))
            {
                throw new InputException($"the staged Calico manifest {manifest} does not exist: run the Fetch task first (./build.sh --target=Fetch)");
            }

            var patch = CalicoPatch.For(spec, pins, ModelBuilder.ReleaseOf(spec, pins));
            files.Add(new RenderedFile(FileCatalog.CalicoOutput, Convert.ToInt32("0644", 8), CalicoPatcher.Patch(File.ReadAllText(manifest), patch, manifest)));
            files.AddRange(UserAddons.Render(spec));
        }

        return files.OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
    }

    /// <summary>Renders every node of the cluster.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<RenderedFile>> RenderAll() =>
        spec.Nodes.ToDictionary(n => n.Name, Render, StringComparer.Ordinal);

    /// <summary>The version table resolved for this cluster's pins (for logs and tests).</summary>
    public ResolvedVersions Versions => ModelBuilder.VersionsOf(spec, pins, options.RelaxSupportedVersions);
}
