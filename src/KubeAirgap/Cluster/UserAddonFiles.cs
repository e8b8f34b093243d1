using KubeAirgap.Diagnostics;
using KubeAirgap.ImageRefs;

namespace KubeAirgap.Cluster;

/// <summary>
/// The user's own manifests that cluster.yaml's <c>addons.extra</c> names: each entry is a YAML file or a directory of
/// them (.yaml/.yml, found below it in name order), relative to cluster.yaml. Render copies them into the
/// control-plane nodes' add-ons; their images are read here with the scanner that proves completeness, so Validate,
/// the image plan, Plan and the SBOM take them from one place.
/// </summary>
public static class UserAddonFiles
{
    private static readonly string[] YamlExtensions = [".yaml", ".yml"];

    /// <summary>One manifest: the index of the <c>addons.extra</c> entry that names it, the file, and its name below
    /// that entry (a directory's own name, then the path inside it; a file's name).</summary>
    public sealed record AddonFile(int Entry, string Source, string Name);

    public static IReadOnlyList<AddonFile> Of(ClusterSpec spec)
    {
        var files = new List<AddonFile>();
        for (var i = 0; i < spec.Addons.Extra.Count; i++)
        {
            var given = spec.Addons.Extra[i];
            var full = Path.GetFullPath(given, spec.Addons.BaseDir);
            var entry = i;
            if (Directory.Exists(full))
            {
                var name = Path.GetFileName(full.TrimEnd('/'));
                files.AddRange(Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories)
                    .Where(IsYaml)
                    .Order(StringComparer.Ordinal)
                    .Select(f => new AddonFile(entry, f, $"{name}/{Path.GetRelativePath(full, f).Replace('\\', '/')}")));
            }
            else if (File.Exists(full) && IsYaml(full))
            {
                files.Add(new AddonFile(entry, full, Path.GetFileName(full)));
            }
            else
            {
                throw new InputException($"{spec.At($"addons.extra[{i}]")}: '{given}' is not a .yaml/.yml file or a directory (resolved to {full})");
            }
        }

        return files;
    }

    /// <summary>Every image the manifests name, with the file and line that names it.</summary>
    public static IReadOnlyList<ImageUse> Images(ClusterSpec spec) =>
        Of(spec).SelectMany(f => ImageUseScanner.ScanYaml(f.Source)).ToList();

    private static bool IsYaml(string path) => YamlExtensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);
}
