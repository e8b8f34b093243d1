using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace KubeAirgap.ImageRefs;

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

    /// <summary>
    /// Every <c>image:</c> value in <paramref name="file"/>: found by walking the parsed YAML (block and flow style
    /// alike, e.g. <c>- {name: app, image: repo/app:1.0}</c>), joined with a line scan that also catches image lines
    /// inside block scalars. A file that does not parse keeps the line scan (kubectl apply rejects it later).
    /// </summary>
    public static IEnumerable<ImageUse> ScanYaml(string file)
    {
        var uses = ScanLines(file, YamlImage()).ToList();
        foreach (var use in ParsedImages(file))
        {
            if (!uses.Any(u => u.Line == use.Line && u.Reference == use.Reference))
            {
                uses.Add(use);
            }
        }

        return uses.OrderBy(u => u.Line);
    }

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

    private static List<ImageUse> ParsedImages(string file)
    {
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(file);
            stream.Load(reader);
        }
        catch (YamlException)
        {
            return [];
        }

        var uses = new List<ImageUse>();
        foreach (var document in stream.Documents)
        {
            Walk(document.RootNode, file, uses);
        }

        return uses;
    }

    private static void Walk(YamlNode node, string file, List<ImageUse> uses)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (key, value) in mapping.Children)
                {
                    if (key is YamlScalarNode { Value: "image" } && value is YamlScalarNode { Value: { Length: > 0 } reference })
                    {
                        uses.Add(new ImageUse(file, (int)value.Start.Line, reference));
                    }
                    else
                    {
                        Walk(value, file, uses);
                    }
                }

                break;
            case YamlSequenceNode sequence:
                foreach (var child in sequence.Children)
                {
                    Walk(child, file, uses);
                }

                break;
        }
    }

    [GeneratedRegex(@"^\s*(?:-\s+)?image:\s*[""']?(?<ref>[^""'\s#]+)")]
    private static partial Regex YamlImage();

    [GeneratedRegex(@"^\s*(?:sandbox_image|sandbox)\s*=\s*[""'](?<ref>[^""']+)[""']")]
    private static partial Regex SandboxImage();
}
