namespace KubeAirgap.Fetch;

/// <summary>
/// Content-addressed cache: <c>&lt;root&gt;/sha256/&lt;hex&gt;</c>. A file appears under its final name only after its
/// digest was verified (written under <c>tmp/</c> while hashing, then renamed), so anything found there is trusted.
/// Several builds may share one cache: partial downloads are guarded by a per-digest lock file (flock), and the final
/// rename is atomic.
/// </summary>
public sealed class ArtifactCache
{
    public ArtifactCache(string root)
    {
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    /// <summary>Where <paramref name="digest"/> lives (whether or not it is there yet).</summary>
    public string PathOf(Digest digest) => Path.Combine(Root, digest.Algorithm, digest.Hex);

    /// <summary>The verified file for <paramref name="digest"/>, if the cache has it.</summary>
    public bool TryGet(Digest digest, out string path)
    {
        path = PathOf(digest);
        return File.Exists(path);
    }

    public string? TryGet(Digest digest) => TryGet(digest, out var path) ? path : null;

    /// <summary>The partial download of <paramref name="digest"/> (resumed by the next attempt or build).</summary>
    public string PartialPathOf(Digest digest) => Path.Combine(Root, "tmp", $"{digest.Algorithm}-{digest.Hex}.part");

    /// <summary>Files kept next to a verified artifact (e.g. its verified OpenPGP signature): <c>&lt;root&gt;/extra/&lt;alg&gt;-&lt;hex&gt;.&lt;suffix&gt;</c>.</summary>
    public string CompanionPathOf(Digest digest, string suffix) => Path.Combine(Root, "extra", $"{digest.Algorithm}-{digest.Hex}.{suffix}");

    /// <summary>
    /// Takes the exclusive right to write <paramref name="digest"/>'s partial file, waiting while another build (or
    /// thread) holds it. Dispose to release.
    /// </summary>
    public async Task<IDisposable> LockAsync(Digest digest, CancellationToken cancellationToken)
    {
        var lockPath = Path.ChangeExtension(PartialPathOf(digest), ".lock");
        Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);
        while (true)
        {
            try
            {
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            }
            catch (IOException)
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Moves a verified temporary file to its final name (atomic rename; an existing copy is identical).</summary>
    public string Commit(string verifiedTemp, Digest digest)
    {
        var final = PathOf(digest);
        Directory.CreateDirectory(Path.GetDirectoryName(final)!);
        File.Move(verifiedTemp, final, overwrite: true);
        return final;
    }

    /// <summary>Adds a file that is already on disk: copies it to a temp name, hashes it, and commits it if it matches.</summary>
    public string Add(string file, Digest expected)
    {
        var temp = Path.Combine(Root, "tmp", $"add-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.GetDirectoryName(temp)!);
        try
        {
            File.Copy(file, temp);
            var actual = Digest.OfFile(temp, expected.Algorithm);
            if (actual != expected)
            {
                throw new DigestMismatchException(file, expected, actual);
            }

            return Commit(temp, expected);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Writes <paramref name="bytes"/> as a companion file of <paramref name="digest"/>, atomically.</summary>
    public string WriteCompanion(Digest digest, string suffix, ReadOnlySpan<byte> bytes)
    {
        var final = CompanionPathOf(digest, suffix);
        Directory.CreateDirectory(Path.GetDirectoryName(final)!);
        var temp = final + $".{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temp, bytes.ToArray());
        File.Move(temp, final, overwrite: true);
        return final;
    }
}

public sealed class DigestMismatchException(string what, Digest expected, Digest actual)
    : Exception($"{what}: expected {expected}, got {actual}")
{
    public Digest Expected { get; } = expected;

    public Digest Actual { get; } = actual;
}
