using KubeAirgap.Diagnostics;
using KubeAirgap.ImageRefs;
using KubeAirgap.Images.Archive;
using KubeAirgap.Images.Oci;

namespace KubeAirgap.Images.Completeness;

/// <summary>
/// Proves a node can start every image it names without a registry: each image a rendered file references must
/// be in the node's archive, under the name containerd's CRI will look it up by (<c>name:tag</c>, or
/// <c>name@digest</c> for a pinned reference), complete for the node's arch. Each miss is an error at the file
/// and line that names the image.
/// </summary>
public static class CompletenessCheck
{
    public static IReadOnlyList<Diagnostic> Check(IEnumerable<ImageUse> uses, OciArchiveContents archive, string arch)
    {
        var errors = new List<Diagnostic>();
        foreach (var use in uses)
        {
            if (!ImageReference.TryParse(use.Reference, out var reference))
            {
                errors.Add(Error(use, ImageReference.NotAReference(use.Reference)));
                continue;
            }

            var name = reference!.Canonical;
            var arches = archive.ArchesOf(name);
            if (arches.Count == 0)
            {
                var sameRepository = archive.Names.Keys.Where(n => n.StartsWith(reference.Name + ":", StringComparison.Ordinal) || n.StartsWith(reference.Name + "@", StringComparison.Ordinal)).ToList();
                var hint = sameRepository.Count > 0 ? $" (the archive has {string.Join(", ", sameRepository)})" : string.Empty;
                errors.Add(Error(use, $"image {name} is not in {archive.Path}{hint}; add it to pins.yaml images or cluster.yaml images.extra"));
            }
            else if (!arches.Contains(arch))
            {
                errors.Add(Error(use, $"image {name} is in {archive.Path} for {string.Join(", ", arches.Select(a => "linux/" + a))} but not for this node's linux/{arch}"));
            }
        }

        return errors;
    }

    private static Diagnostic Error(ImageUse use, string message) => new(Severity.Error, use.File, use.Line, 1, "image", message);
}
