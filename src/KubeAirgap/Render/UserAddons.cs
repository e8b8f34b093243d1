using KubeAirgap.Cluster;
using KubeAirgap.Diagnostics;
using KubeAirgap.Images.Completeness;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace KubeAirgap.Render;

/// <summary>
/// The user's own manifests (cluster.yaml <c>addons.extra</c>: files or directories of YAML, relative to cluster.yaml),
/// copied into the control-plane nodes' add-ons below <see cref="FileCatalog.UserAddonsDir"/>. The installer applies
/// the add-on folder in name order, and <c>addons/user/</c> sorts after every core add-on file; inside it the entries
/// keep the order cluster.yaml lists them in (<c>00-</c>, <c>01-</c>, ...). Their images are found by the same scanner
/// that proves completeness, so they join the image plan, Plan and the SBOM without being listed twice.
/// </summary>
public static class UserAddons
{
    private static readonly string[] YamlExtensions = [".yaml", ".yml"];

    /// <summary>One manifest: where it is read from and where it goes in the node tree.</summary>
    public sealed record Manifest(string Source, string BundlePath);

    public static IReadOnlyList<Manifest> Of(ClusterSpec spec)
    {
        var manifests = new List<Manifest>();
        for (var i = 0; i < spec.Addons.Extra.Count; i++)
        {
            var given = spec.Addons.Extra[i];
            var full = Path.GetFullPath(given, spec.Addons.BaseDir);
            var prefix = $"{FileCatalog.UserAddonsDir}/{i:D2}-";
            if (Directory.Exists(full))
            {
                var name = Path.GetFileName(full.TrimEnd('/'));
                manifests.AddRange(Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories)
                    .Where(IsYaml)
                    .Order(StringComparer.Ordinal)
                    .Select(f => new Manifest(f, $"{prefix}{name}/{Path.GetRelativePath(full, f).Replace('\\', '/')}")));
            }
            else if (File.Exists(full) && IsYaml(full))
            {
                manifests.Add(new Manifest(full, prefix + Path.GetFileName(full)));
            }
            else
            {
                throw new InputException($"{spec.At($"addons.extra[{i}]")}: '{given}' is not a .yaml/.yml file or a directory (resolved to {full})");
            }
        }

        return manifests;
    }

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

    /// <summary>Every image the manifests name, with the file and line that names it.</summary>
    public static IReadOnlyList<ImageUse> Images(ClusterSpec spec) =>
        Of(spec).SelectMany(m => ImageUseScanner.ScanYaml(m.Source)).ToList();

    private static bool IsYaml(string path) => YamlExtensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);
}
