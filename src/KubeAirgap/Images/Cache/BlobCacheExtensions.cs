using KubeAirgap.Content;

namespace KubeAirgap.Images.Cache;

/// <summary>
/// OCI blobs live in the fetch stage's content-addressed <see cref="ArtifactCache"/> (<c>&lt;cache&gt;/sha256/&lt;hex&gt;</c>),
/// beside release binaries: one store, shared by every image, node and cluster, so a layer two images share is
/// stored and downloaded once.
/// </summary>
public static class BlobCacheExtensions
{
    public static string PathOfBlob(this ArtifactCache cache, string digest) => cache.PathOf(Digest.Parse(digest));

    public static bool ContainsBlob(this ArtifactCache cache, string digest) => cache.TryGet(Digest.Parse(digest), out _);

    /// <summary>Stores bytes already in memory (a manifest) under <paramref name="digest"/>, after checking them.</summary>
    public static string AddBlob(this ArtifactCache cache, string digest, ReadOnlySpan<byte> bytes)
    {
        var actual = Content.Digest.Of(bytes).ToString();
        if (actual != digest)
        {
            throw new InvalidDataException($"refusing to cache bytes as {digest}: they hash to {actual}");
        }

        var temp = Path.Combine(cache.EnsureDirectory(Path.Combine(cache.Root, "tmp")), $"oci-{Guid.NewGuid():N}");
        File.WriteAllBytes(temp, bytes.ToArray());
        return cache.Commit(temp, Digest.Parse(digest));
    }
}
