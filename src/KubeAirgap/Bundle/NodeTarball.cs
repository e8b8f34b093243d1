namespace KubeAirgap.Bundle;

/// <summary>
/// Writes one node's <c>.tar.gz</c> as a sequence of gzip members that together decompress to one ustar
/// archive under <c>&lt;top&gt;/</c>: the directory entries, then each shared file (its header in a small
/// member of its own, its data as the stored chunk copied byte for byte), then the node's own files and the
/// end-of-archive marker in a last member. Entries are sorted; every header has uid/gid 0 and the same mtime.
/// </summary>
public static class NodeTarball
{
    public sealed record Result(string Path, long Size, string Sha256, long CopiedBytes, long CompressedBytes);

    public static Result Write(string output, string top, IReadOnlyList<BundleEntry> entries, long mtime, SharedChunkStore chunks)
    {
        var duplicate = entries.GroupBy(e => e.Path, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidDataException($"{duplicate.Key} appears twice in the bundle of {top}");
        }

        var directories = entries
            .SelectMany(e => Parents(e.Path))
            .Append(string.Empty)
            .Distinct(StringComparer.Ordinal)
            .Select(d => d.Length == 0 ? top : $"{top}/{d}")
            .OrderBy(d => d, StringComparer.Ordinal)
            .ToList();

        var temp = output + ".tmp";
        long copied = 0;
        long compressed = 0;
        string sha;
        try
        {
            using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
            using (var disk = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            using (var file = new HashingWriteStream(disk, hash))
            {
                var pending = new MemoryStream();
                foreach (var dir in directories)
                {
                    pending.Write(TarHeader.Directory(dir, 0x1ED, mtime));
                }

                foreach (var entry in entries.Where(e => e.Shared).OrderBy(e => e.Path, StringComparer.Ordinal))
                {
                    pending.Write(TarHeader.File($"{top}/{entry.Path}", entry.Mode, entry.Size, mtime));
                    compressed += Flush(pending, file, chunks.Level);
                    if (chunks.BytesFor(entry) is { } bytes)
                    {
                        file.Write(bytes);
                        copied += bytes.Length;
                    }
                    else
                    {
                        using var chunk = File.OpenRead(chunks.ChunkFor(entry));
                        chunk.CopyTo(file, 1 << 20);
                        copied += chunk.Length;
                    }
                }

                foreach (var entry in entries.Where(e => !e.Shared).OrderBy(e => e.Path, StringComparer.Ordinal))
                {
                    pending.Write(TarHeader.File($"{top}/{entry.Path}", entry.Mode, entry.Size, mtime));
                    using (var data = entry.Open())
                    {
                        data.CopyTo(pending);
                    }

                    pending.Write(new byte[TarHeader.PaddingFor(entry.Size)]);
                }

                pending.Write(TarHeader.EndOfArchive);
                compressed += Flush(pending, file, chunks.Level);
            }

            sha = Convert.ToHexStringLower(hash.GetHashAndReset());
            File.Move(temp, output, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }

        return new Result(output, new FileInfo(output).Length, sha, copied, compressed);
    }

    /// <summary>The parent directories of a bundle path, e.g. <c>bin/cni/bridge</c> → <c>bin</c>, <c>bin/cni</c>.</summary>
    public static IEnumerable<string> Parents(string path)
    {
        for (var i = path.IndexOf('/'); i > 0; i = path.IndexOf('/', i + 1))
        {
            yield return path[..i];
        }
    }

    private static long Flush(MemoryStream pending, Stream file, int level)
    {
        if (pending.Length == 0)
        {
            return 0;
        }

        var member = GzipMember.Compress(pending.GetBuffer().AsSpan(0, (int)pending.Length), level);
        file.Write(member);
        pending.SetLength(0);
        return member.Length;
    }
}

/// <summary>Writes through to a stream and hashes the bytes on the way (the tarball's sha256 without reading it back).</summary>
internal sealed class HashingWriteStream(Stream inner, System.Security.Cryptography.IncrementalHash hash) : Stream
{
    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        hash.AppendData(buffer);
        inner.Write(buffer);
    }

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
