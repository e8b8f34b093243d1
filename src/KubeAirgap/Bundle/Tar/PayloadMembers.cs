using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using KubeAirgap.Content;

namespace KubeAirgap.Bundle.Tar;

/// <summary>
/// The first gzip member of every tarball of a <see cref="Layout.PayloadKey"/>: the shared payload (bin/, images/)
/// as tar entries under <c>&lt;cluster&gt;-payload-&lt;key&gt;/</c>, directories then files, sorted, without the
/// end-of-archive marker. Compressed once per payload and stored by what its bytes depend on
/// (<c>&lt;fingerprint&gt;.gz</c>), so a later build with the same binaries and images compresses nothing; each
/// node's tarball starts with these bytes copied (streamed from the file: memory stays flat whatever the payload's
/// size). The member is written by <see cref="ParallelGzipWriter"/> on <paramref name="workers"/> cores: data that is
/// compressed already (<see cref="AlreadyCompressed"/>: the image layers) goes into stored blocks, the rest is
/// deflated in parallel pieces.
/// </summary>
public sealed class PayloadMembers(string directory, int level, long mtime, int workers)
{
    private readonly ConcurrentDictionary<string, Lazy<string>> _members = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _made = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<IncrementalHash>> _hashes = new(StringComparer.Ordinal);
    private int _compressed;

    public string Directory { get; } = directory;

    public int Level { get; } = level;

    /// <summary>How many members this instance compressed (the rest were already stored).</summary>
    public int Compressed => _compressed;

    /// <summary>Whether this instance wrote the member at <paramref name="path"/> (rather than finding it stored).</summary>
    public bool Made(string path) => _made.ContainsKey(path);

    /// <summary>Path of the stored member of the payload <paramref name="entries"/> under <paramref name="top"/>, compressing it first if needed.</summary>
    public string MemberFor(string top, IReadOnlyList<BundleEntry> entries)
    {
        var key = Fingerprint(top, entries);
        return _members.GetOrAdd(key, k => new Lazy<string>(() => Make(k, top, entries))).Value;
    }

    /// <summary>
    /// A sha256 that has already taken in every byte of the member at <paramref name="path"/> (a copy of one state:
    /// taken while the member was written, or read once per build from a stored one): a node's tarball starts with those bytes, so its hash goes on from here with only the
    /// node's own member. The caller disposes it.
    /// </summary>
    public IncrementalHash HashAfter(string path)
    {
        var after = _hashes.GetOrAdd(path, p => new Lazy<IncrementalHash>(() => HashOf(p))).Value;
        lock (after)
        {
            return after.Clone();
        }
    }

    private static IncrementalHash HashOf(string path)
    {
        var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var buffer = new byte[1 << 20];
        int n;
        while ((n = input.Read(buffer)) > 0)
        {
            hash.AppendData(buffer.AsSpan(0, n));
        }

        return hash;
    }

    /// <summary>The directories of <paramref name="entries"/> under <paramref name="top"/> (top included), sorted.</summary>
    public static IReadOnlyList<string> Directories(string top, IEnumerable<BundleEntry> entries) =>
        entries
            .SelectMany(e => NodeTarball.Parents(e.Path))
            .Append(string.Empty)
            .Distinct(StringComparer.Ordinal)
            .Select(d => d.Length == 0 ? top : $"{top}/{d}")
            .OrderBy(d => d, StringComparer.Ordinal)
            .ToList();

    /// <summary>sha256 of everything the member's bytes depend on: top directory, mtime, level, every entry's path, mode, size and sha256.</summary>
    private string Fingerprint(string top, IEnumerable<BundleEntry> entries)
    {
        var text = new StringBuilder();
        text.Append("kube-airgap-payload-v2\n").Append(top).Append('\n').Append(mtime).Append('\n').Append(Level).Append('\n');
        foreach (var e in entries.OrderBy(e => e.Path, StringComparer.Ordinal))
        {
            text.Append(e.Path).Append(' ').Append(e.ModeText).Append(' ').Append(e.Size).Append(' ').Append(e.Sha256).Append('\n');
        }

        return Sha256Hex.OfText(text.ToString());
    }

    private string Make(string key, string top, IReadOnlyList<BundleEntry> entries)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, key + ".gz");
        if (File.Exists(path))
        {
            return path;
        }

        using (var pending = PendingFile.For(path))
        {
            // hashed as it is written: the nodes' tarballs go on from this state (HashAfter) without reading it back
            var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using (var output = pending.OpenWrite(1 << 20))
            using (var gzip = new ParallelGzipWriter(new HashingWriteStream(output, hash), Level, workers))
            {
                foreach (var dir in Directories(top, entries))
                {
                    gzip.Write(TarHeader.Directory(dir, 0x1ED, mtime));
                }

                foreach (var entry in entries.OrderBy(e => e.Path, StringComparer.Ordinal))
                {
                    gzip.Write(TarHeader.File($"{top}/{entry.Path}", entry.Mode, entry.Size, mtime));
                    using var input = entry.Open();
                    if (input.Length != entry.Size)
                    {
                        throw new InvalidDataException($"{entry.Source ?? entry.Path}: size changed while bundling ({entry.Size} -> {input.Length} bytes)");
                    }

                    WriteContent(gzip, input);
                    gzip.Write(new byte[TarHeader.PaddingFor(entry.Size)]);
                }

                gzip.Finish();
            }

            pending.Commit();
            _hashes[path] = new Lazy<IncrementalHash>(hash);
            _made[path] = true;
            Interlocked.Increment(ref _compressed);
            return path;
        }
    }

    /// <summary>Copies a file into the member: its compressed ranges as stored data, the bytes between them to compress.</summary>
    private static void WriteContent(ParallelGzipWriter gzip, Stream input)
    {
        long at = 0;
        foreach (var range in AlreadyCompressed.Of(input))
        {
            gzip.CopyFrom(input, compressedAlready: false, count: range.Offset - at);
            gzip.CopyFrom(input, compressedAlready: true, count: range.Length);
            at = range.Offset + range.Length;
        }

        gzip.CopyFrom(input, compressedAlready: false);
    }
}
