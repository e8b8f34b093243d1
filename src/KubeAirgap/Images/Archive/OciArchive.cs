using System.Formats.Tar;
using System.Text.Json;
using KubeAirgap.Content;
using KubeAirgap.Images.Cache;
using KubeAirgap.Images.Oci;
using KubeAirgap.Images.Pull;

namespace KubeAirgap.Images.Archive;

/// <summary>
/// Writes one OCI image-layout tar (<c>oci-layout</c>, <c>index.json</c>, <c>blobs/sha256/…</c>) holding many
/// images, each blob once. Every image is listed in index.json under each of its names with both
/// <c>io.containerd.image.name</c> (what <c>ctr images import</c> names it by) and
/// <c>org.opencontainers.image.ref.name</c> set to the full reference. Deterministic: entries sorted, a fixed
/// mtime, uid/gid 0, no user names; the same images give the same bytes.
/// </summary>
public static class OciArchive
{
    public const string ContainerdNameAnnotation = "io.containerd.image.name";
    public const string RefNameAnnotation = "org.opencontainers.image.ref.name";
    public const string LayoutFile = "oci-layout";
    public const string IndexFile = "index.json";
    public const string BlobDir = "blobs/sha256/";

    /// <summary>
    /// Writes <paramref name="path"/> through a temporary file that is read back and verified (every blob's
    /// digest, every image complete for its arch) before it is renamed into place.
    /// </summary>
    public static async Task<OciArchiveContents> WriteAsync(string path, IReadOnlyList<PulledImage> images, ArtifactCache store, DateTimeOffset mtime, CancellationToken cancellationToken = default)
    {
        var index = IndexJson(images);
        var blobs = images.SelectMany(i => i.Blobs).DistinctBy(b => b.Digest).OrderBy(b => b.Digest, StringComparer.Ordinal).ToList();
        using var pending = PendingFile.For(path);
        var temp = pending.TempPath;
        await using (var file = pending.OpenWrite())
        {
            await using var tar = new TarWriter(file, TarEntryFormat.Ustar, leaveOpen: true);
            await WriteDirectoryAsync(tar, "blobs/", mtime, cancellationToken).ConfigureAwait(false);
            await WriteDirectoryAsync(tar, BlobDir, mtime, cancellationToken).ConfigureAwait(false);
            foreach (var blob in blobs)
            {
                await using var data = File.OpenRead(store.PathOfBlob(blob.Digest));
                if (data.Length != blob.Size)
                {
                    throw new InvalidDataException($"cached blob {blob.Digest} has {data.Length} bytes, its descriptor says {blob.Size}");
                }

                await WriteFileAsync(tar, BlobDir + Content.Digest.HexOf(blob.Digest), data, mtime, cancellationToken).ConfigureAwait(false);
            }

            await WriteFileAsync(tar, IndexFile, new MemoryStream(index), mtime, cancellationToken).ConfigureAwait(false);
            await WriteFileAsync(tar, LayoutFile, new MemoryStream("{\"imageLayoutVersion\":\"1.0.0\"}"u8.ToArray()), mtime, cancellationToken).ConfigureAwait(false);
        }

        var contents = OciArchiveContents.Read(temp);
        foreach (var image in images)
        {
            foreach (var name in image.Names)
            {
                if (!contents.ArchesOf(name).Contains(image.Arch))
                {
                    throw new InvalidDataException($"{temp}: {name} is not complete for linux/{image.Arch} after writing");
                }
            }
        }

        pending.CommitIfChanged();
        return contents;
    }

    /// <summary>The index.json of an archive holding <paramref name="images"/>: one entry per name, sorted by name.</summary>
    public static byte[] IndexJson(IReadOnlyList<PulledImage> images)
    {
        var entries = new SortedDictionary<string, Descriptor>(StringComparer.Ordinal);
        foreach (var image in images)
        {
            foreach (var name in image.Names)
            {
                if (entries.TryGetValue(name, out var existing) && existing.Digest != image.Target.Digest)
                {
                    throw new InvalidDataException($"two different images are both named {name}: {existing.Digest} and {image.Target.Digest}");
                }

                entries[name] = image.Target;
            }
        }

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", 2);
            json.WriteString("mediaType", MediaTypes.OciIndex);
            json.WriteStartArray("manifests");
            foreach (var (name, target) in entries)
            {
                json.WriteStartObject();
                json.WriteString("mediaType", target.MediaType);
                json.WriteString("digest", target.Digest);
                json.WriteNumber("size", target.Size);
                json.WriteStartObject("annotations");
                json.WriteString(ContainerdNameAnnotation, name);
                json.WriteString(RefNameAnnotation, name);
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static async Task WriteDirectoryAsync(TarWriter tar, string name, DateTimeOffset mtime, CancellationToken ct) =>
        await tar.WriteEntryAsync(Entry(TarEntryType.Directory, name, "755", mtime), ct).ConfigureAwait(false);

    private static async Task WriteFileAsync(TarWriter tar, string name, Stream data, DateTimeOffset mtime, CancellationToken ct)
    {
        var entry = Entry(TarEntryType.RegularFile, name, "644", mtime);
        entry.DataStream = data;
        await tar.WriteEntryAsync(entry, ct).ConfigureAwait(false);
    }

    /// <summary>An entry owned by root (0:0, no names) with the given octal mode and the archive's fixed time.</summary>
    private static UstarTarEntry Entry(TarEntryType type, string name, string octalMode, DateTimeOffset mtime) => new(type, name)
    {
        ModificationTime = mtime,
        Mode = (UnixFileMode)Convert.ToInt32(octalMode, 8),
        Uid = 0,
        Gid = 0,
        UserName = string.Empty,
        GroupName = string.Empty,
    };
}
