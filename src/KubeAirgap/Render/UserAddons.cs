using KubeAirgap.Cluster;
using KubeAirgap.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace KubeAirgap.Render;

/// <summary>
/// The user's own manifests (cluster.yaml <c>addons.extra</c>: files or directories of YAML, relative to cluster.yaml),
/// copied into the control-plane nodes' add-ons below <see cref="FileCatalog.UserAddonsDir"/>. The installer applies
/// the add-on folder in name order, and <c>addons/user/</c> sorts after every core add-on file; inside it the entries
/// keep the order cluster.yaml lists them in (<c>00-</c>, <c>01-</c>, ...). Which files they are, and the images they name,
/// is Cluster's <see cref="UserAddonFiles"/>.
/// </summary>
public static class UserAddons
{
    /// <summary>One manifest: where it is read from and where it goes in the node tree.</summary>
    public sealed record Manifest(string Source, string BundlePath);

    /// <summary>The files <see cref="UserAddonFiles"/> finds, each below <c>addons/user/NN-</c> (NN: its addons.extra entry).</summary>
    public static IReadOnlyList<Manifest> Of(ClusterSpec spec) =>
        UserAddonFiles.Of(spec).Select(f => new Manifest(f.Source, $"{FileCatalog.UserAddonsDir}/{f.Entry:D2}-{f.Name}")).ToList();

    /// <summary>The manifests as rendered files, each checked to be YAML (an error names the file, line and column).</summary>
    public static IReadOnlyList<RenderedFile> Render(ClusterSpec spec) =>
        Of(spec).Select(m =>
        {
            var text = File.ReadAllText(m.Source);
            try
            {
                new YamlStream().Load(new StringReader(text));
            }
            catch (YamlException e)
            {
                throw new InputException($"{m.Source}:{e.Start.Line}:{e.Start.Column}: not valid YAML (cluster.yaml addons.extra): {e.Message}", e);
            }

            return new RenderedFile(m.BundlePath, Convert.ToInt32("0644", 8), text);
        }).ToList();
}
