using System.Text.RegularExpressions;

namespace KubeAirgap.Images.Completeness;

/// <summary>
/// Finds every image a node's rendered files name: <c>image:</c> in the YAML manifests and configs under
/// <c>addons/</c> and <c>etc/</c>, and the sandbox (pause) image in containerd's config.toml (<c>sandbox_image</c>
/// of config version 2, <c>sandbox</c> under <c>pinned_images</c> of version 3).
/// </summary>
public static partial class ImageUseScanner
{
    /// <summary>The folders of a node tree that hold files naming images.</summary>
    public static readonly IReadOnlyList<string> Folders = ["addons", "etc"];

    public static IReadOnlyList<ImageUse> Scan(string nodeTree)
    {
        var uses = new List<ImageUse>();
        foreach (var folder in Folders.Select(f => Path.Combine(nodeTree, f)).Where(Directory.Exists))
        {
            foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var extension = Path.GetExtension(file);
                if (extension is ".yaml" or ".yml")
                {
                    uses.AddRange(ScanYaml(file));
                }
                else if (extension == ".toml")
                {
                    uses.AddRange(ScanContainerdConfig(file));
                }
            }
        }

        return uses;
    }

    public static IEnumerable<ImageUse> ScanYaml(string file) => ScanLines(file, YamlImage());

    public static IEnumerable<ImageUse> ScanContainerdConfig(string file) => ScanLines(file, SandboxImage());

    private static IEnumerable<ImageUse> ScanLines(string file, Regex pattern)
    {
        var lineNumber = 0;
        foreach (var line in File.ReadLines(file))
        {
            lineNumber++;
            var match = pattern.Match(line);
            if (match.Success)
            {
                yield return new ImageUse(file, lineNumber, match.Groups["ref"].Value);
            }
        }
    }

    [GeneratedRegex(@"^\s*(?:-\s+)?image:\s*[""']?(?<ref>[^""'\s#]+)")]
    private static partial Regex YamlImage();

    [GeneratedRegex(@"^\s*(?:sandbox_image|sandbox)\s*=\s*[""'](?<ref>[^""']+)[""']")]
    private static partial Regex SandboxImage();
}
