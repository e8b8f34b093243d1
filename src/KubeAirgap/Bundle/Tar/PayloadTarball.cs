using KubeAirgap.Content;
using System.Security.Cryptography;

namespace KubeAirgap.Bundle.Tar;

/// <summary>
/// A payload tarball of the fleet layout, as pinned by every node bundle of its payload key (lib/layout.env,
/// manifest.json) and listed in bundle-manifest.json: the file name beside the node tarballs, its size and sha256,
/// the payload key and the directory it extracts to.
/// </summary>
public sealed record PayloadArchive(string Key, string Top, string Bundle, string Sha256, long Size);

/// <summary>
/// Writes the payload tarball of one key for the fleet layout: the payload's cached gzip member
/// (<see cref="PayloadMembers"/>: <c>&lt;top&gt;/</c> with bin/ and images/, no end-of-archive marker) followed by a
/// gzip member holding only the end-of-archive marker, so any <c>tar xzf</c> reads one complete archive. A file
/// that already has the expected bytes is left alone (nothing is rewritten).
/// </summary>
public static class PayloadTarball
{
    public sealed record Result(PayloadArchive Archive, bool Written);

    /// <param name="digests">the sha256 of the member and of an existing tarball when unchanged since a build read them; null: read both.</param>
    /// <param name="memberIsNew">the member was compressed by this build (its cache entry is not racy for being read right after).</param>
    public static Result Write(string output, Layout.PayloadKey key, string top, string member, int level, FileDigestCache? digests = null, bool memberIsNew = false)
    {
        digests ??= FileDigestCache.None();
        var end = GzipMember.Compress(TarHeader.EndOfArchive, level);
        var size = new FileInfo(member).Length + end.Length;
        var sha = digests.Value(member, $"sha256-with-end-of-archive-member-level-{level}", input =>
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[1 << 20];
            for (int read; (read = input.Read(buffer)) > 0;)
            {
                hash.AppendData(buffer, 0, read);
            }

            hash.AppendData(end);
            return Convert.ToHexStringLower(hash.GetHashAndReset());
        }, memberIsNew);

        var archive = new PayloadArchive(key.Name, top, Path.GetFileName(output), sha, size);
        if (File.Exists(output) && new FileInfo(output).Length == size && digests.Sha256(output) == sha)
        {
            OutputDirectory.SetMode(output, OutputDirectory.Public);
            return new Result(archive, false);
        }

        using (var tarball = PendingFile.For(output, OutputDirectory.Public))
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using (var disk = tarball.OpenWrite(1 << 20))
            using (var file = new HashingWriteStream(disk, hash))
            {
                using (var input = File.OpenRead(member))
                {
                    input.CopyTo(file, 1 << 20);
                }

                file.Write(end);
            }

            var written = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (written != sha)
            {
                throw new InvalidDataException($"{member}: changed while the payload tarball {output} was written (sha256 {written}, expected {sha})");
            }

            tarball.Commit();
        }

        digests.Record(output, sha);
        return new Result(archive, true);
    }
}
