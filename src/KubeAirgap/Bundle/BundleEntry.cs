using System.Security.Cryptography;
using KubeAirgap.Content;

namespace KubeAirgap.Bundle;

/// <summary>
/// One file inside a node bundle: its path below <c>&lt;cluster&gt;-&lt;node&gt;/</c>, mode, size and sha256,
/// and where its bytes come from (a file on disk or generated content). <see cref="Shared"/> entries (binaries,
/// images) are the same for every node of a payload key and are compressed once.
/// </summary>
public sealed record BundleEntry(string Path, int Mode, long Size, string Sha256, string? Source, byte[]? Content, bool Shared)
{
    /// <summary>A file nobody but root may read (keys, tokens, kubeconfigs with client keys).</summary>
    public bool Secret => (Mode & 0x3F) == 0;

    public string ModeText => "0" + Convert.ToString(Mode & 0xFFF, 8);

    public Stream Open() =>
        Content is not null
            ? new MemoryStream(Content, writable: false)
            : new FileStream(Source!, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);

    /// <param name="digests">where the file's sha256 may be known already (unchanged since a build read it); null: read it.</param>
    public static BundleEntry FromFile(string path, string source, bool shared, FileDigestCache? digests = null)
    {
        var info = new FileInfo(source);
        if (info.LinkTarget is not null)
        {
            throw new InvalidDataException($"{source}: symbolic links are not bundled; put the file itself there");
        }

        FileKind.RequireRegular(source);
        var mode = OperatingSystem.IsWindows() ? 0x1A4 : (int)File.GetUnixFileMode(source) & 0xFFF;
        return new BundleEntry(path, mode, info.Length, digests?.Sha256(source) ?? Sha256Hex.OfFile(source), source, null, shared);
    }

    public static BundleEntry FromBytes(string path, byte[] content, int mode) =>
        new(path, mode, content.Length, Sha256Hex.Of(content), null, content, false);

    /// <summary>
    /// Every file below <paramref name="root"/>/<paramref name="sub"/>, as bundle paths <c>sub/...</c>, sorted. A
    /// symbolic link anywhere below <paramref name="root"/> (the folder itself included) is refused: a linked
    /// directory would pull build-host files into the bundle.
    /// </summary>
    public static IEnumerable<BundleEntry> Tree(string root, string sub, bool shared, Func<string, bool>? include = null, FileDigestCache? digests = null) =>
        FileTree.Below(root, sub, include).Select(f => FromFile(f.Path, f.FullPath, shared, digests)).ToList();
}
