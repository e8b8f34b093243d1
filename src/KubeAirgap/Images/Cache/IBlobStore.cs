namespace KubeAirgap.Images.Cache;

/// <summary>
/// Where verified blobs live, by digest. Only verified bytes ever get a final name: writers fill a temporary
/// file, the store moves it into place.
/// </summary>
public interface IBlobStore
{
    /// <summary>The file holding <paramref name="digest"/>'s bytes (it may not exist yet).</summary>
    string PathOf(string digest);

    bool Contains(string digest);

    /// <summary>
    /// Stores a blob: <paramref name="fill"/> writes and verifies the bytes into the temporary path it is given;
    /// on success that file is renamed to <see cref="PathOf"/>, on failure it is deleted.
    /// </summary>
    Task AddAsync(string digest, Func<string, CancellationToken, Task> fill, CancellationToken cancellationToken = default);

    /// <summary>Stores bytes already in memory (manifests), after checking them against <paramref name="digest"/>.</summary>
    void Add(string digest, ReadOnlySpan<byte> bytes);
}
