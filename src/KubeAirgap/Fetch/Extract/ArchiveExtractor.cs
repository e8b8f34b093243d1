using KubeAirgap.Pins;
using SharpCompress.Readers;
using KubeAirgap.Content;

namespace KubeAirgap.Fetch.Extract;

/// <summary>
/// Turns a verified artifact into the files its layout names (<c>bin/etcd</c>, <c>bin/cni/bridge</c>...), with their modes.
/// Archives (tar.gz, tgz, zip) are read with SharpCompress; only the named members are written, and an archive holding
/// an absolute path, a <c>..</c> component or a link that points outside the archive is refused as a whole.
/// </summary>
public static class ArchiveExtractor
{
    private static readonly HashSet<string> ArchiveTypes = ["tar.gz", "tgz", "zip"];

    /// <summary>Writes the layout's files under <paramref name="destination"/>; returns their full paths.</summary>
    /// <param name="what">How errors name the artifact, e.g. <c>etcd 3.6.14 (amd64)</c>.</param>
    public static IReadOnlyList<string> Extract(string artifact, Pins.ArchiveLayout layout, string arch, string destination, string what)
    {
        if (layout.Type == "file")
        {
            if (layout.Files.Count != 1)
            {
                throw new ArchiveException($"{what}: a 'file' layout names exactly one file, not {layout.Files.Count}");
            }

            using var source = File.OpenRead(artifact);
            return [WriteFile(source, destination, layout.Files[0])];
        }

        if (!ArchiveTypes.Contains(layout.Type))
        {
            throw new ArchiveException($"{what}: layout type '{layout.Type}' is not extracted");
        }

        var wanted = layout.Files.ToDictionary(f => Normalize(f.MemberFor(arch)), f => f, StringComparer.Ordinal);
        var written = new Dictionary<string, string>(StringComparer.Ordinal);
        var links = new Dictionary<string, LayoutFile>(StringComparer.Ordinal);
        var seen = new List<string>();
        ReadEntries(artifact, what, (key, entry, reader) =>
        {
            seen.Add(key);
            if (!wanted.TryGetValue(key, out var file))
            {
                return;
            }

            if (entry.LinkTarget is { Length: > 0 } target)
            {
                // a named member that is a link inside the archive: take the bytes of its target (second pass)
                links[ResolveLink(key, target, what)] = file;
                return;
            }

            using var stream = reader.OpenEntryStream();
            written[key] = WriteFile(stream, destination, file);
        });

        if (links.Count > 0)
        {
            ReadEntries(artifact, what, (key, entry, reader) =>
            {
                if (links.Remove(key, out var file) && entry.LinkTarget is null)
                {
                    using var stream = reader.OpenEntryStream();
                    written[Normalize(file.MemberFor(arch))] = WriteFile(stream, destination, file);
                }
            });
        }

        var missing = wanted.Keys.Where(k => !written.ContainsKey(k)).ToList();
        if (missing.Count > 0)
        {
            throw new ArchiveException(
                $"{what}: {Path.GetFileName(artifact)} has no member {string.Join(", ", missing.Select(m => $"'{m}'"))}; it holds: "
                + string.Join(", ", seen.Take(20)) + (seen.Count > 20 ? $" ... ({seen.Count} entries)" : string.Empty));
        }

        return [.. wanted.Keys.Select(k => written[k])];
    }

    private static void ReadEntries(string artifact, string what, Action<string, SharpCompress.Common.IEntry, IReader> visit)
    {
        using var stream = File.OpenRead(artifact);
        using var reader = ReaderFactory.OpenReader(stream, new ReaderOptions { LeaveStreamOpen = false });
        while (reader.MoveToNextEntry())
        {
            var entry = reader.Entry;
            var raw = entry.Key ?? string.Empty;
            CheckPath(raw, what);
            if (entry.LinkTarget is { Length: > 0 } target)
            {
                ResolveLink(Normalize(raw), target, what);
            }

            if (entry.IsDirectory)
            {
                continue;
            }

            visit(Normalize(raw), entry, reader);
        }
    }

    /// <summary>Refuses absolute paths and <c>..</c> components in any entry of the archive.</summary>
    private static void CheckPath(string raw, string what)
    {
        var path = raw.Replace('\\', '/');
        if (path.StartsWith('/') || (path.Length > 1 && path[1] == ':'))
        {
            throw new ArchiveException($"{what}: archive member '{raw}' has an absolute path; refusing the archive");
        }

        if (path.Split('/').Contains(".."))
        {
            throw new ArchiveException($"{what}: archive member '{raw}' contains '..'; refusing the archive");
        }
    }

    /// <summary>The archive path a link entry points to; refuses targets outside the archive.</summary>
    private static string ResolveLink(string key, string target, string what)
    {
        if (target.StartsWith('/'))
        {
            throw new ArchiveException($"{what}: archive link '{key}' points to the absolute path '{target}'; refusing the archive");
        }

        var parts = new List<string>(key.Split('/')[..^1]);
        foreach (var part in target.Replace('\\', '/').Split('/'))
        {
            if (part is "" or ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (parts.Count == 0)
                {
                    throw new ArchiveException($"{what}: archive link '{key}' -> '{target}' points outside the archive; refusing the archive");
                }

                parts.RemoveAt(parts.Count - 1);
                continue;
            }

            parts.Add(part);
        }

        return string.Join('/', parts);
    }

    private static string Normalize(string member)
    {
        var path = member.Replace('\\', '/');
        while (path.StartsWith("./", StringComparison.Ordinal))
        {
            path = path[2..];
        }

        return path.TrimEnd('/');
    }

    /// <summary>Writes to a temporary name next to the target, sets the mode, then renames (nothing half-written).</summary>
    private static string WriteFile(Stream source, string destination, LayoutFile file)
    {
        var target = Path.GetFullPath(Path.Combine(destination, file.Path));
        var root = Path.GetFullPath(destination) + Path.DirectorySeparatorChar;
        if (!target.StartsWith(root, StringComparison.Ordinal))
        {
            throw new ArchiveException($"layout path '{file.Path}' is outside {destination}");
        }

        AtomicFile.Write(target, output => source.CopyTo(output, 1 << 16), (UnixFileMode)file.UnixMode);
        return target;
    }
}

public sealed class ArchiveException : Exception
{
    public ArchiveException()
    {
    }

    public ArchiveException(string message)
        : base(message)
    {
    }

    public ArchiveException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
