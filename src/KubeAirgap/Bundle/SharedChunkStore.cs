using System.Collections.Concurrent;

namespace KubeAirgap.Bundle;

/// <summary>
/// Compressed tar data of shared files, one gzip member per file (its bytes plus the padding to the next
/// 512-byte block), stored by content: <c>&lt;sha256&gt;-<c>L</c>&lt;level&gt;.gz</c>. Each is compressed once and
/// copied into every bundle that carries the file; a later build with the same binaries and images reuses them.
/// </summary>
public sealed class SharedChunkStore(string directory, int level)
{
    /// <summary>Chunks up to this many bytes in all are kept in memory for the build, so each node's copy does not re-read them.</summary>
    public const long MemoryBudget = 1L << 30;

    private readonly ConcurrentDictionary<string, Lazy<string>> _chunks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<byte[]?>> _loaded = new(StringComparer.Ordinal);
    private long _inMemory;

    public string Directory { get; } = directory;

    public int Level { get; } = level;

    /// <summary>How many chunks this instance compressed (the rest were already stored).</summary>
    public int Compressed => _compressed;

    private int _compressed;

    /// <summary>Path of the chunk for <paramref name="entry"/>, compressing it first if needed.</summary>
    public string ChunkFor(BundleEntry entry) =>
        _chunks.GetOrAdd($"{entry.Sha256}-L{Level}", key => new Lazy<string>(() => Make(entry, key))).Value;

    /// <summary>The chunk's bytes from memory (read once), or null when the memory budget is spent: stream <see cref="ChunkFor"/> then.</summary>
    public byte[]? BytesFor(BundleEntry entry)
    {
        var path = ChunkFor(entry);
        return _loaded.GetOrAdd(path, p => new Lazy<byte[]?>(() =>
        {
            var length = new FileInfo(p).Length;
            if (Interlocked.Add(ref _inMemory, length) > MemoryBudget)
            {
                Interlocked.Add(ref _inMemory, -length);
                return null;
            }

            return File.ReadAllBytes(p);
        })).Value;
    }

    /// <summary>Compresses every distinct entry, in parallel.</summary>
    public void Warm(IEnumerable<BundleEntry> entries, int parallelism) =>
        Parallel.ForEach(
            entries.DistinctBy(e => e.Sha256).OrderByDescending(e => e.Size),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism) },
            e => ChunkFor(e));

    private string Make(BundleEntry entry, string key)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, key + ".gz");
        if (File.Exists(path))
        {
            return path;
        }

        var temp = path + "." + Environment.ProcessId + "." + Environment.CurrentManagedThreadId + ".tmp";
        try
        {
            using (var input = entry.Open())
            using (var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                if (input.Length != entry.Size)
                {
                    throw new InvalidDataException($"{entry.Source ?? entry.Path}: size changed while bundling ({entry.Size} -> {input.Length} bytes)");
                }

                GzipMember.Compress(input, TarHeader.PaddingFor(entry.Size), output, Level);
            }

            File.Move(temp, path, overwrite: true);
            Interlocked.Increment(ref _compressed);
            return path;
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
