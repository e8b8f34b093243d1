using KubeAirgap.Diagnostics;
using KubeAirgap.ImageRefs;
using KubeAirgap.Images.Lock;
using KubeAirgap.Images.Oci;
using KubeAirgap.Pins;

namespace KubeAirgap.Images;

/// <summary>
/// Images by digest only. Before anything is pulled, every image a payload needs must be pinned by digest: an
/// unpinned pins.yaml image is resolved once by trust on first use (<see cref="ImageDigestLocker"/>: the upstream
/// registry over TLS, recorded in pins.yaml) when the build may use the network; what is still unpinned afterwards
/// fails the build, unless unpinned images are explicitly allowed, and then the caller must say so in the bundle.
/// </summary>
public static class ImagePinning
{
    /// <summary>The references of <paramref name="images"/> that carry no digest.</summary>
    public static IReadOnlyList<ImageReference> Unpinned(IEnumerable<ImageReference> images) =>
        images.Where(i => i.Digest is null).DistinctBy(i => i.ToString()).OrderBy(i => i.ToString(), StringComparer.Ordinal).ToList();

    /// <summary>The pins.yaml entries (name, version) behind <paramref name="unpinned"/> references.</summary>
    public static IReadOnlySet<(string Name, string Version)> PinsEntries(PinsFile pins, IEnumerable<ImageReference> unpinned)
    {
        var refs = unpinned.Select(u => u.ToString()).ToHashSet(StringComparer.Ordinal);
        return pins.Images.Where(i => i.Digest is null && refs.Contains(ImageReference.Parse(i.Ref).ToString()))
            .Select(i => (i.Name, i.Version)).ToHashSet();
    }

    /// <summary>The error for images still unpinned, saying what to do in this situation.</summary>
    public static InputException Refusal(IReadOnlyList<ImageReference> unpinned, bool offline, IReadOnlyList<ImageLockEntry> attempts)
    {
        var lines = unpinned.Select(u =>
        {
            var attempt = attempts.FirstOrDefault(a => ImageReference.Parse(a.Ref).ToString() == u.ToString());
            return attempt?.Problem is { } problem ? $"  {u}: {problem}" : $"  {u}";
        });
        var hint = offline
            ? "--offline cannot resolve a tag: build once with internet (the digest is then recorded in pins.yaml), or write the digest yourself"
            : "write `digest: sha256:...` for it in pins.yaml (or `name:tag@sha256:...` in cluster.yaml images.extra)";
        return new InputException(
            $"{unpinned.Count} image(s) are not pinned by digest:" + Environment.NewLine + string.Join(Environment.NewLine, lines) + Environment.NewLine
            + $"  {hint}; --allow_unpinned_images=true builds anyway and marks them UNPINNED in the bundle manifest and SBOM");
    }
}
