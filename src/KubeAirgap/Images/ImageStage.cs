using KubeAirgap.Diagnostics;
using KubeAirgap.ImageRefs;
using KubeAirgap.Images.Archive;
using KubeAirgap.Images.Completeness;
using KubeAirgap.Images.Oci;
using KubeAirgap.Images.Pull;
using KubeAirgap.Images.Registry;
using KubeAirgap.Content;

namespace KubeAirgap.Images;

/// <summary>What the Images task does for one payload, and the completeness check for one node.</summary>
public sealed class ImageStage(RegistryClient client, int parallelism = 4)
{
    /// <summary>Where a payload's archive lives, below its payload folder.</summary>
    public const string ArchiveRelativePath = "images/images.oci.tar";

    /// <summary>
    /// Beside the archive when it holds images that were not pinned by digest (--allow_unpinned_images): one
    /// reference per line. Bundle reads it into the manifest and SBOM; it travels in the tarball so the node sees it too.
    /// </summary>
    public const string UnpinnedRelativePath = "images/UNPINNED";

    /// <summary>The unpinned references recorded beside <paramref name="archivePath"/> (none when the file is absent).</summary>
    public static IReadOnlyList<string> UnpinnedOf(string archivePath)
    {
        var file = Path.Combine(Path.GetDirectoryName(archivePath)!, Path.GetFileName(UnpinnedRelativePath));
        return File.Exists(file) ? File.ReadAllLines(file).Where(l => l.Length > 0).ToList() : [];
    }

    public Action<string>? Log { get; set; }

    /// <summary>
    /// Pulls <paramref name="images"/> for <paramref name="arch"/> and writes the archive. When an archive with
    /// exactly the index.json this would write already exists (it was verified before it got its name), it is kept.
    /// Returns whether a new archive was written.
    /// </summary>
    public async Task<bool> BuildAsync(string archivePath, IReadOnlyList<ImageReference> images, string arch, DateTimeOffset mtime, CancellationToken cancellationToken = default)
    {
        var puller = new ImagePuller(client, parallelism) { Log = Log };
        var pulled = await puller.PullAllAsync(images, arch, cancellationToken).ConfigureAwait(false);
        RecordUnpinned(archivePath, ImagePinning.Unpinned(images));
        if (File.Exists(archivePath) && ReadIndexJson(archivePath) is { } existing && existing.AsSpan().SequenceEqual(OciArchive.IndexJson(pulled)))
        {
            Log?.Invoke($"{archivePath}: up to date ({pulled.Count} image(s))");
            return false;
        }

        var contents = await OciArchive.WriteAsync(archivePath, pulled, client.Cache, mtime, cancellationToken).ConfigureAwait(false);
        Log?.Invoke($"{archivePath}: {pulled.Count} image(s), {contents.BlobDigests.Count} blob(s), {contents.BlobBytes} bytes");
        return true;
    }

    /// <summary>Every image <paramref name="nodeTree"/>'s rendered files name, checked against the node's archive.</summary>
    public static IReadOnlyList<Diagnostic> CheckNode(string nodeTree, string archivePath, string arch)
    {
        var uses = ImageUseScanner.Scan(nodeTree);
        if (!File.Exists(archivePath))
        {
            return uses.Select(u => new Diagnostic(Severity.Error, u.File, u.Line, 1, "image", $"image {u.Reference} is referenced but there is no image archive {archivePath}")).ToList();
        }

        return CompletenessCheck.Check(uses, OciArchiveContents.Read(archivePath), arch);
    }

    private static void RecordUnpinned(string archivePath, IReadOnlyList<ImageReference> unpinned)
    {
        var file = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(archivePath))!, Path.GetFileName(UnpinnedRelativePath));
        if (unpinned.Count == 0)
        {
            if (File.Exists(file))
            {
                File.Delete(file);
            }

            return;
        }

        AtomicFile.WriteIfChanged(file, string.Concat(unpinned.Select(u => u + "\n")));
    }

    private static byte[]? ReadIndexJson(string archivePath)
    {
        using var file = File.OpenRead(archivePath);
        using var tar = new System.Formats.Tar.TarReader(file);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.Name == OciArchive.IndexFile && entry.DataStream is { } data)
            {
                using var buffer = new MemoryStream();
                data.CopyTo(buffer);
                return buffer.ToArray();
            }
        }

        return null;
    }
}
