using KubeAirgap.Images.Oci;

namespace KubeAirgap.Images.Cache;

/// <summary>
/// The OCI blob cache: <c>&lt;cache&gt;/oci/blobs/sha256/&lt;hex&gt;</c>, shared by every image, node and cluster.
/// A layer two images share is stored, and downloaded, once.
/// </summary>
public sealed class BlobCache : IBlobStore
{
    public BlobCache(string cacheRoot)
    {
        Root = Path.Combine(cacheRoot, "oci", "blobs", "sha256");
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string PathOf(string digest) => Path.Combine(Root, Digest.Hex(digest));

    public bool Contains(string digest) => File.Exists(PathOf(digest));

    public async Task AddAsync(string digest, Func<string, CancellationToken, Task> fill, CancellationToken cancellationToken = default)
    {
        var final = PathOf(digest);
        var temp = $"{final}.partial-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            await fill(temp, cancellationToken).ConfigureAwait(false);
            File.Move(temp, final, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    public void Add(string digest, ReadOnlySpan<byte> bytes)
    {
        var actual = Digest.Of(bytes);
        if (actual != digest)
        {
            throw new InvalidDataException($"refusing to cache bytes as {digest}: they hash to {actual}");
        }

        var final = PathOf(digest);
        var temp = $"{final}.partial-{Environment.ProcessId}-{Guid.NewGuid():N}";
        File.WriteAllBytes(temp, bytes.ToArray());
        File.Move(temp, final, overwrite: true);
    }
}
