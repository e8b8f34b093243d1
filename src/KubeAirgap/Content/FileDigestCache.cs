using System.Collections.Concurrent;
using System.Text;

namespace KubeAirgap.Content;

/// <summary>
/// What a build learnt from reading files, kept for the next build so that a rebuild with nothing changed reads none of
/// them again: per (kind, path) the file's <see cref="FileIdentity"/> (device, inode, size, mtime, ctime) when a value
/// was computed from its bytes: kind <see cref="Sha256Kind"/> its sha256, other kinds a fact the caller derives from
/// the bytes (e.g. the image names of an OCI archive whose blobs all hashed to their names). A lookup whose identity
/// differs in any part computes the value again; a file rewritten with the same size and its old mtime restored still
/// has a new ctime (or inode), so it is read again.
/// <para>
/// The cache only saves reading: it is never the reason bytes are trusted. What Bundle packs is re-hashed by
/// VerifyBundle, by <c>verify-bundle.sh</c> and by the installer on the node, none of which read this file.
/// </para>
/// <para>
/// Racy entries (as git's index has them): a file whose ctime is within <see cref="RacyWindow"/> of the moment it was
/// read could still change within the same timestamp tick without its identity changing; such an entry is stored
/// marked racy and computed again on every lookup (never trusted), until the file changes and is recorded afresh.
/// A damaged cache file (not the format, or its closing checksum does not match what precedes it, e.g. truncated)
/// is ignored with a warning: every file is read again.
/// </para>
/// </summary>
public sealed class FileDigestCache
{
    /// <summary>The kind of entry whose value is the file's sha256 (lower-case hex).</summary>
    public const string Sha256Kind = "sha256";

    /// <summary>How close to the read a file's last change may be before its entry counts as racy: file timestamps come
    /// from a coarse clock (a jiffy; a whole second on some file systems), so a later write in the same tick keeps them.</summary>
    public static readonly TimeSpan RacyWindow = TimeSpan.FromSeconds(2);

    private const string Header = "# kube-airgap file digest cache v1 (safe to delete): kind, path, device, inode, size, mtime-ns, ctime-ns, racy, value; tab-separated";
    private const string Trailer = "# end sha256 ";

    private readonly string? _file;
    private readonly TimeProvider _clock;
    private readonly IReadOnlyDictionary<(string Kind, string Path), Entry> _loaded;
    private readonly string? _loadedText;
    private readonly ConcurrentDictionary<(string Kind, string Path), Entry> _used = new();
    private readonly ConcurrentDictionary<(string Kind, string Path), Entry> _fresh = new();
    private int _computed;
    private int _reused;
    private long _bytesRead;

    private FileDigestCache(string? file, TimeProvider clock, IReadOnlyDictionary<(string, string), Entry> loaded, string? loadedText)
    {
        _file = file;
        _clock = clock;
        _loaded = loaded;
        _loadedText = loadedText;
    }

    /// <summary>The file this cache is loaded from and saved to (null: nothing is kept between builds).</summary>
    public string? File => _file;

    /// <summary>How many files this build read to compute a value (cache misses and racy entries).</summary>
    public int FilesRead => _computed;

    /// <summary>How many bytes those reads covered.</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>How many lookups the cache answered without reading the file.</summary>
    public int FilesReused => _reused;

    /// <summary>A cache that keeps nothing between builds: every lookup reads the file.</summary>
    public static FileDigestCache None() => new(null, TimeProvider.System, new Dictionary<(string, string), Entry>(), null);

    /// <summary>
    /// The cache stored in <paramref name="file"/> (none there yet: an empty one that <see cref="Save"/> creates). A file
    /// that is damaged in any way is not used: <paramref name="warn"/> is told why, and every file is read again.
    /// </summary>
    public static FileDigestCache Load(string file, Action<string> warn, TimeProvider? clock = null)
    {
        clock ??= TimeProvider.System;
        var full = Path.GetFullPath(file);
        string text;
        try
        {
            text = System.IO.File.Exists(full) ? System.IO.File.ReadAllText(full, Encoding.UTF8) : string.Empty;
        }
        catch (IOException e)
        {
            warn($"file digest cache {full} is unreadable ({e.Message}); every input is hashed again");
            return new FileDigestCache(full, clock, new Dictionary<(string, string), Entry>(), null);
        }

        if (text.Length == 0)
        {
            return new FileDigestCache(full, clock, new Dictionary<(string, string), Entry>(), null);
        }

        var problem = Parse(text, out var entries);
        if (problem is not null)
        {
            warn($"file digest cache {full} is damaged ({problem}); not used: every input is hashed again, and the cache is written anew");
            return new FileDigestCache(full, clock, new Dictionary<(string, string), Entry>(), null);
        }

        return new FileDigestCache(full, clock, entries, text);
    }

    /// <summary>The sha256 of the file at <paramref name="path"/>, from the cache when the file is the one it was computed from.</summary>
    public string Sha256(string path) => Value(path, Sha256Kind, Sha256Hex.Of);

    /// <summary>
    /// The value of <paramref name="kind"/> for the file at <paramref name="path"/>: the cached one when the file's
    /// identity is the recorded one and the entry is not racy, else <paramref name="compute"/> over the file's bytes
    /// (recorded when the file did not change while it was read). <paramref name="compute"/> must return the same
    /// value for the same bytes, and throw when the bytes are not acceptable (nothing is recorded then).
    /// <paramref name="writtenByThisBuild"/>: the file is one this build has just written itself (see <see cref="Record"/>),
    /// so its entry is not marked racy for being read right after that write.
    /// </summary>
    public string Value(string path, string kind, Func<Stream, string> compute, bool writtenByThisBuild = false)
    {
        var key = (kind, Path.GetFullPath(path));
        var before = FileIdentity.Of(key.Item2);
        var old = _used.GetValueOrDefault(key) ?? _loaded.GetValueOrDefault(key);
        if (before is { } id && old is not null && old.Identity == id && !old.Racy)
        {
            _used[key] = old;
            Interlocked.Increment(ref _reused);
            return old.Value;
        }

        var readAt = _clock.GetUtcNow();
        string value;
        long length;
        using (var stream = new FileStream(key.Item2, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
        {
            length = stream.Length;
            value = compute(stream);
        }

        Interlocked.Increment(ref _computed);
        Interlocked.Add(ref _bytesRead, length);
        if (before is { } b && FileIdentity.Of(key.Item2) == b && Storable(kind, key.Item2, value))
        {
            var entry = new Entry(b, !writtenByThisBuild && readAt - b.Changed < RacyWindow, value);
            if (old is not null && old.Identity == b && old.Value == value)
            {
                // a racy entry that still holds: keep its line as it is (a rebuild writes nothing), remember the fresh one
                // for when the cache is written anyway
                _used[key] = old;
                _fresh[key] = entry;
            }
            else
            {
                _used[key] = entry;
            }
        }

        return value;
    }

    /// <summary>
    /// Records the sha256 of a file this build has just written from bytes it hashed while writing them (a tarball), so
    /// the next build does not read it back. Not marked racy: nobody else writes the file in the moment after its
    /// rename, and a tarball whose bytes differ from what SHA256SUMS says fails every verification after Bundle.
    /// </summary>
    public void Record(string path, string sha256)
    {
        var full = Path.GetFullPath(path);
        if (FileIdentity.Of(full) is { } id && Storable(Sha256Kind, full, sha256))
        {
            _used[(Sha256Kind, full)] = new Entry(id, false, sha256);
        }
    }

    /// <summary>
    /// Writes the entries this build used (and only those) to <see cref="File"/> (temp name, rename; 0600), unless they
    /// are exactly what was loaded: a rebuild that changed nothing writes nothing. Returns whether it wrote.
    /// </summary>
    public bool Save()
    {
        if (_file is null || (_loadedText is not null && Render(_used) == _loadedText))
        {
            return false;
        }

        var entries = new Dictionary<(string, string), Entry>(_used);
        foreach (var (key, entry) in _fresh)
        {
            entries[key] = entry;
        }

        return AtomicFile.WriteIfChanged(_file, Render(entries), UnixFileMode.UserRead | UnixFileMode.UserWrite,
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static bool Storable(string kind, string path, string value) =>
        !$"{kind}{path}{value}".AsSpan().ContainsAny('\t', '\n', '\r');

    private static string Render(IEnumerable<KeyValuePair<(string Kind, string Path), Entry>> entries)
    {
        var text = new StringBuilder(Header).Append('\n');
        foreach (var (key, e) in entries.OrderBy(e => e.Key.Kind, StringComparer.Ordinal).ThenBy(e => e.Key.Path, StringComparer.Ordinal))
        {
            text.Append(key.Kind).Append('\t').Append(key.Path).Append('\t').Append(e.Identity.Format('\t')).Append('\t')
                .Append(e.Racy ? "racy" : "clean").Append('\t').Append(e.Value).Append('\n');
        }

        var checksum = Sha256Hex.OfText(text.ToString());
        return text.Append(Trailer).Append(checksum).Append('\n').ToString();
    }

    /// <summary>The entries of a cache file's text, or what is wrong with it (then no entry is used).</summary>
    private static string? Parse(string text, out Dictionary<(string, string), Entry> entries)
    {
        entries = [];
        var end = text.LastIndexOf(Trailer, StringComparison.Ordinal);
        if (!text.StartsWith(Header + "\n", StringComparison.Ordinal))
        {
            return "the first line is not the cache's header";
        }

        if (end < 0 || end + Trailer.Length + 65 != text.Length || text[^1] != '\n')
        {
            return "no closing checksum line: the file is truncated or was edited";
        }

        var body = text[..end];
        if (Sha256Hex.OfText(body) != text[(end + Trailer.Length)..^1])
        {
            return "the closing checksum does not match the entries: the file was changed or damaged";
        }

        var number = 1;
        foreach (var line in body[(Header.Length + 1)..].Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            number++;
            var f = line.Split('\t');
            if (f.Length != 9 || !FileIdentity.TryParse(f.AsSpan(2, 5), out var identity) || f[7] is not ("racy" or "clean") || f[0].Length == 0 || !Path.IsPathFullyQualified(f[1]))
            {
                return $"line {number} is not an entry";
            }

            if (f[0] == Sha256Kind && (f[8].Length != 64 || !f[8].All(char.IsAsciiHexDigitLower)))
            {
                return $"line {number}: {f[8]} is not a sha256";
            }

            entries[(f[0], f[1])] = new Entry(identity, f[7] == "racy", f[8]);
        }

        return null;
    }

    private sealed record Entry(FileIdentity Identity, bool Racy, string Value);
}
