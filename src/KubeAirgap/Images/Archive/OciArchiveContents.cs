using System.Formats.Tar;
using System.Text.Json;
using KubeAirgap.Images.Oci;
using KubeAirgap.Images.Pull;
using KubeAirgap.Content;

namespace KubeAirgap.Images.Archive;

/// <summary>
/// What an OCI image-layout tar holds, read and verified: each blob's bytes hash to its name, and for each image
/// name the arches whose manifest, config and layers are all inside.
/// </summary>
public sealed class OciArchiveContents
{
    private const long KeepInMemory = 4 * 1024 * 1024;

    private readonly Dictionary<string, long> _blobs;
    private readonly Dictionary<string, byte[]> _small;

    private OciArchiveContents(string path, IReadOnlyDictionary<string, Descriptor> names, Dictionary<string, long> blobs, Dictionary<string, byte[]> small)
    {
        Path = path;
        Names = names;
        _blobs = blobs;
        _small = small;
    }

    public string Path { get; }

    /// <summary>Image name (full reference) → the descriptor index.json gives it.</summary>
    public IReadOnlyDictionary<string, Descriptor> Names { get; }

    public IReadOnlyCollection<string> BlobDigests => _blobs.Keys;

    public long BlobBytes => _blobs.Values.Sum();

    public static OciArchiveContents Read(string path)
    {
        using var file = File.OpenRead(path);
        return Read(file, path);
    }

    /// <summary>Reads an archive from <paramref name="stream"/> (e.g. a member of a node tarball); <paramref name="path"/> names it in errors.</summary>
    public static OciArchiveContents Read(Stream stream, string path)
    {
        var blobs = new Dictionary<string, long>(StringComparer.Ordinal);
        var small = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        byte[]? index = null;
        var layout = false;
        using (var tar = new TarReader(stream, leaveOpen: true))
        {
            while (tar.GetNextEntry() is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                {
                    continue;
                }

                var name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
                if (name == OciArchive.IndexFile)
                {
                    index = ReadAll(entry.DataStream);
                }
                else if (name == OciArchive.LayoutFile)
                {
                    layout = true;
                }
                else if (name.StartsWith(OciArchive.BlobDir, StringComparison.Ordinal))
                {
                    var digest = Digest.Sha256Prefix + name[OciArchive.BlobDir.Length..];
                    byte[]? bytes = entry.Length <= KeepInMemory ? ReadAll(entry.DataStream) : null;
                    var actual = (bytes is not null ? Digest.Of(bytes) : entry.DataStream is null ? Digest.Of(ReadOnlySpan<byte>.Empty) : Digest.Of(entry.DataStream)).ToString();
                    if (actual != digest)
                    {
                        throw new InvalidDataException($"{path}: {name} hashes to {actual}, not to its name: the archive changed after it was written");
                    }

                    blobs[digest] = entry.Length;
                    if (bytes is not null)
                    {
                        small[digest] = bytes;
                    }
                }
            }
        }

        if (index is null || !layout)
        {
            throw new InvalidDataException($"{path}: not an OCI image layout (index.json or oci-layout missing)");
        }

        var names = new Dictionary<string, Descriptor>(StringComparer.Ordinal);
        using (var doc = JsonDocument.Parse(index))
        {
            foreach (var m in doc.RootElement.GetProperty("manifests").EnumerateArray())
            {
                var descriptor = new Descriptor(m.GetProperty("mediaType").GetString() ?? string.Empty, m.GetProperty("digest").GetString() ?? string.Empty, m.GetProperty("size").GetInt64());
                if (m.TryGetProperty("annotations", out var annotations) && annotations.TryGetProperty(OciArchive.ContainerdNameAnnotation, out var n) && n.GetString() is { } imageName)
                {
                    names[imageName] = descriptor;
                }
            }
        }

        return new OciArchiveContents(path, names, blobs, small);
    }

    /// <summary>The arches for which <paramref name="name"/> is complete in this archive (empty when the name is absent).</summary>
    public IReadOnlySet<string> ArchesOf(string name)
    {
        var arches = new SortedSet<string>(StringComparer.Ordinal);
        if (!Names.TryGetValue(name, out var target) || !_small.TryGetValue(target.Digest, out var top))
        {
            return arches;
        }

        var document = new ManifestDocument(ManifestDocument.DetectMediaType(top, target.MediaType), target.Digest, top);
        var manifests = document.IsIndex
            ? document.Children().Where(c => _small.ContainsKey(c.Digest)).Select(c => new ManifestDocument(ManifestDocument.DetectMediaType(_small[c.Digest], c.MediaType), c.Digest, _small[c.Digest]))
            : [document];
        foreach (var manifest in manifests)
        {
            if (manifest.IsIndex)
            {
                continue;
            }

            var config = manifest.Config();
            if (!_small.TryGetValue(config.Digest, out var configBytes) || !manifest.Layers().All(l => _blobs.ContainsKey(l.Digest)))
            {
                continue;
            }

            var platform = ManifestDocument.ConfigPlatform(configBytes);
            if (platform.Os == "linux" && ImagePuller.Matches(platform, platform.Architecture))
            {
                arches.Add(platform.Architecture);
            }
        }

        return arches;
    }

    private static byte[] ReadAll(Stream? stream)
    {
        if (stream is null)
        {
            return [];
        }

        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
