namespace KubeAirgap.Content;

/// <summary>
/// Content-addressed cache: <c>&lt;root&gt;/sha256/&lt;hex&gt;</c>. A file appears under its final name only after its
/// digest was verified (written under <c>tmp/</c> while hashing, then renamed), and is stored read-only (0444) in
/// directories only the owner can enter (0700). A name is still not proof: a file found there is hashed again the
/// first time this process uses it (a planted or altered file is deleted and fetched again), and remembered as
/// verified only while its size and mtime stay the same.
/// Several builds may share one cache: partial downloads are guarded by a per-digest lock file (flock), and the final
/// rename is atomic.
/// </summary>
public sealed class ArtifactCache
{
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public const UnixFileMode StoredFileMode = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long Length, DateTime Modified)> _verified = new(StringComparer.Ordinal);

    public ArtifactCache(string root)
    {
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    /// <summary>Called with a message when a cached file failed its re-hash and was removed.</summary>
    public Action<string>? OnRejected { get; set; }

    /// <summary>Where <paramref name="digest"/> lives (whether or not it is there yet).</summary>
    public string PathOf(Digest digest) => Path.Combine(Root, digest.Algorithm, digest.Hex);

    /// <summary>
    /// The verified file for <paramref name="digest"/>, if the cache has one whose bytes hash to it (re-hashed on
    /// first use in this process; a file that does not match is deleted).
    /// </summary>
    public bool TryGet(Digest digest, out string path)
    {
        path = PathOf(digest);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return false;
        }

        if (_verified.TryGetValue(path, out var seen) && seen == (info.Length, info.LastWriteTimeUtc))
        {
            return true;
        }

        var actual = Digest.OfFile(path, digest.Algorithm);
        if (actual != digest)
        {
            OnRejected?.Invoke($"{path}: cached file hashes to {actual}, not {digest}: removed, it will be fetched again");
            File.Delete(path);
            _verified.TryRemove(path, out _);
            return false;
        }

        _verified[path] = (info.Length, info.LastWriteTimeUtc);
        return true;
    }

    /// <summary>Creates <paramref name="directory"/> (and any missing parents below the root) owner-only, 0700.</summary>
    public string EnsureDirectory(string directory)
    {
        var full = Path.GetFullPath(directory);
        if (!Directory.Exists(Root))
        {
            CreateOwnerOnly(Root);
        }

        if (!Directory.Exists(full))
        {
            var parent = Path.GetDirectoryName(full);
            if (parent is not null && parent.Length > Root.Length && parent.StartsWith(Root, StringComparison.Ordinal))
            {
                EnsureDirectory(parent);
            }

            CreateOwnerOnly(full);
        }

        return full;
    }

    public string? TryGet(Digest digest) => TryGet(digest, out var path) ? path : null;

    /// <summary>Creates <paramref name="directory"/> with mode 0700 (plain creation on Windows).</summary>
    public static void CreateOwnerOnly(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, DirectoryMode);
        }
    }

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
        EnsureDirectory(Path.GetDirectoryName(lockPath)!);
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
        EnsureDirectory(Path.GetDirectoryName(final)!);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(verifiedTemp, StoredFileMode);
        }

        File.Move(verifiedTemp, final, overwrite: true);
        var info = new FileInfo(final);
        _verified[final] = (info.Length, info.LastWriteTimeUtc);
        return final;
    }

    /// <summary>Adds a file that is already on disk: copies it to a temp name, hashes it, and commits it if it matches.</summary>
    public string Add(string file, Digest expected)
    {
        var temp = Path.Combine(EnsureDirectory(Path.Combine(Root, "tmp")), $"add-{Guid.NewGuid():N}");
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
        EnsureDirectory(Path.GetDirectoryName(final)!);
        AtomicFile.Write(final, bytes);
        return final;
    }
}

public sealed class DigestMismatchException(string what, Digest expected, Digest actual)
    : Exception($"{what}: expected {expected}, got {actual}")
{
    public Digest Expected { get; } = expected;

    public Digest Actual { get; } = actual;
}
