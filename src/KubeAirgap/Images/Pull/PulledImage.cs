using KubeAirgap.ImageRefs;
using KubeAirgap.Images.Oci;

namespace KubeAirgap.Images.Pull;

/// <summary>
/// An image fetched for one arch: <see cref="Target"/> is what its reference points at (an index or a manifest,
/// kept byte for byte so the pinned digest stays valid); <see cref="Blobs"/> is every blob the arch needs,
/// the target included.
/// </summary>
public sealed record PulledImage(ImageReference Reference, Descriptor Target, string Arch, IReadOnlyList<Descriptor> Blobs)
{
    /// <summary>
    /// The names it is imported under: <c>name:tag</c> (what manifests usually say) and <c>name@digest</c> (what
    /// containerd's CRI looks a digest-pinned reference up by).
    /// </summary>
    public IReadOnlyList<string> Names =>
        Reference.Tag is null
            ? [$"{Reference.Name}@{Target.Digest}"]
            : [Reference.NameWithTag, $"{Reference.Name}@{Target.Digest}"];

    /// <summary>The size of this arch's image: its manifests, config and layers.</summary>
    public long Size => Blobs.Sum(b => b.Size);
}
