using KubeAirgap.Content;

namespace KubeAirgap.Bundle.Tar;

/// <summary>
/// Writes one node's <c>.tar.gz</c> as two gzip members that together decompress to one ustar archive: first the
/// payload's member (<see cref="PayloadMembers"/>, the same bytes in every tarball of the payload key) copied,
/// then one member with <c>&lt;top&gt;/</c>: its directories, the relative symlinks <c>bin</c> and <c>images</c>
/// into the payload directory, the node's own files, and the end-of-archive marker. Entries are sorted; every
/// header has uid/gid 0 and the same mtime. A tarball holding a secret is 0600, others 0644. In the fleet layout
/// (no payload member given) the payload's member is left out: the links then reach into the payload
/// tarball extracted beside it (<see cref="PayloadTarball"/>).
/// </summary>
public static class NodeTarball
{
    /// <param name="PayloadMemberLength">Where the second gzip member starts: the first is the payload's.</param>
    public sealed record Result(string Path, long Size, string Sha256, long PayloadMemberLength, long NodeMemberLength)
    {
        /// <summary>How the payload's member got into the tarball (null: none did, or the tarball was kept).</summary>
        public PrefixedFile.Method? PayloadCopy { get; init; }
    }

    /// <summary>The node's directory holds a symlink <c>name</c> → <c>../&lt;payloadTop&gt;/name</c> for each top-level folder of the shared entries.</summary>
    /// <param name="methods">how the payload's member may go in (<see cref="PrefixedFile.Any"/> when null; tests pin one).</param>
    public static Result Write(string output, string top, string payloadTop, string? payloadMember, IReadOnlyList<BundleEntry> entries, long mtime, PayloadMembers members, IReadOnlyCollection<PrefixedFile.Method>? methods = null)
    {
        var duplicate = entries.GroupBy(e => e.Path, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidDataException($"{duplicate.Key} appears twice in the bundle of {top}");
        }

        var links = SharedLinks(entries);
        var own = entries.Where(e => !e.Shared).OrderBy(e => e.Path, StringComparer.Ordinal).ToList();
        var clash = own.FirstOrDefault(e => links.Contains(e.Path.Split('/')[0]));
        if (clash is not null)
        {
            throw new InvalidDataException($"{clash.Path}: the node's own files cannot be under {clash.Path.Split('/')[0]}/, which is the shared payload's");
        }

        long payloadLength;
        long nodeLength;
        PrefixedFile.Method? copy;
        string sha;
        var mode = own.Any(e => e.Secret) ? OutputDirectory.Secret : OutputDirectory.Public;
        using (var tarball = PendingFile.For(output, mode))
        {
            // the payload's member goes in with its extents shared or past the page cache (PrefixedFile) and its
            // hash is a copy of the state after it (PayloadMembers.HashAfter): this process hashes only the node's member
            using var hash = payloadMember is null
                ? System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256)
                : members.HashAfter(payloadMember);
            var opened = payloadMember is null ? null : PrefixedFile.Open(tarball, payloadMember, methods);
            copy = opened?.Method;
            using (var disk = opened?.Stream ?? tarball.OpenWrite(1 << 20))
            using (var file = new HashingWriteStream(disk, hash))
            {
                payloadLength = opened?.PrefixLength ?? 0;

                var pending = new MemoryStream();
                foreach (var dir in PayloadMembers.Directories(top, own))
                {
                    pending.Write(TarHeader.Directory(dir, 0x1ED, mtime));
                }

                foreach (var link in links)
                {
                    pending.Write(TarHeader.Symlink($"{top}/{link}", $"../{payloadTop}/{link}", mtime));
                }

                foreach (var entry in own)
                {
                    pending.Write(TarHeader.File($"{top}/{entry.Path}", entry.Mode, entry.Size, mtime));
                    using (var data = entry.Open())
                    {
                        data.CopyTo(pending);
                    }

                    pending.Write(new byte[TarHeader.PaddingFor(entry.Size)]);
                }

                pending.Write(TarHeader.EndOfArchive);
                var member = GzipMember.Compress(pending.GetBuffer().AsSpan(0, (int)pending.Length), members.Level);
                file.Write(member);
                nodeLength = member.Length;
            }

            sha = Convert.ToHexStringLower(hash.GetHashAndReset());
            tarball.CommitIfChanged();
        }

        return new Result(output, new FileInfo(output).Length, sha, payloadLength, nodeLength) { PayloadCopy = copy };
    }

    /// <summary>How the payload's member went into the tarballs written, e.g. <c>50 written past the page cache (O_DIRECT)</c>; null when none took one.</summary>
    public static string? DescribePayloadCopies(IEnumerable<Result> results)
    {
        var counts = results.Where(r => r.PayloadCopy is not null).GroupBy(r => r.PayloadCopy!.Value).OrderBy(g => g.Key).ToList();
        return counts.Count == 0 ? null : string.Join(", ", counts.Select(g => $"{g.Count()} {Describe(g.Key)}"));
    }

    private static string Describe(PrefixedFile.Method method) => method switch
    {
        PrefixedFile.Method.SharedExtents => "sharing its extents (reflink)",
        PrefixedFile.Method.Direct => "written past the page cache (O_DIRECT)",
        _ => "copied in the kernel (copy_file_range)",
    };

    /// <summary>The top-level folders of the shared entries (<c>bin</c>, <c>images</c>), sorted: each is a symlink in the node's directory.</summary>
    public static IReadOnlyList<string> SharedLinks(IEnumerable<BundleEntry> entries) =>
        entries.Where(e => e.Shared).Select(e => e.Path.Split('/')[0]).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    /// <summary>The parent directories of a bundle path, e.g. <c>bin/cni/bridge</c> → <c>bin</c>, <c>bin/cni</c>.</summary>
    public static IEnumerable<string> Parents(string path)
    {
        for (var i = path.IndexOf('/'); i > 0; i = path.IndexOf('/', i + 1))
        {
            yield return path[..i];
        }
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
