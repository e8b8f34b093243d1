using System.Buffers.Binary;

namespace KubeAirgap.Bundle.Tar;

/// <summary>
/// Which bytes of a payload file are compressed already, so <see cref="ParallelGzipWriter"/> stores them instead of
/// deflating them again: a whole file that starts with gzip, zstd, xz or bzip2 magic; inside a tar archive (an OCI
/// image archive, images/*.oci.tar) every member whose data starts with such magic (the gzip'd layers), found by
/// walking the archive's 512-byte headers. Anything else is left to the writer's own measure.
/// </summary>
public static class AlreadyCompressed
{
    /// <summary>A byte range of a file.</summary>
    public readonly record struct Range(long Offset, long Length);

    /// <summary>Members smaller than this are not worth a piece of their own.</summary>
    private const long MinimumMember = 4096;

    private static readonly byte[][] Magics =
    [
        [0x1f, 0x8b],                         // gzip
        [0x28, 0xb5, 0x2f, 0xfd],             // zstd
        [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], // xz
        [0x42, 0x5a, 0x68],                   // bzip2 "BZh"
    ];

    /// <summary>Whether <paramref name="head"/> (a file's or member's first bytes) is the magic of a compressed format.</summary>
    public static bool HasMagic(ReadOnlySpan<byte> head)
    {
        foreach (var magic in Magics)
        {
            if (head.StartsWith(magic))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The compressed ranges of <paramref name="file"/> (seekable; its position is left at 0), sorted and apart.</summary>
    public static IReadOnlyList<Range> Of(Stream file)
    {
        var head = new byte[512];
        var read = ReadAt(file, 0, head);
        file.Position = 0;
        if (HasMagic(head.AsSpan(0, read)))
        {
            return [new Range(0, file.Length)];
        }

        return read == 512 && IsUstar(head) ? TarMembers(file) : [];
    }

    private static IReadOnlyList<Range> TarMembers(Stream file)
    {
        var ranges = new List<Range>();
        var header = new byte[512];
        var magic = new byte[6];
        long at = 0;
        while (at + 512 <= file.Length && ReadAt(file, at, header) == 512 && IsUstar(header))
        {
            var size = Size(header.AsSpan(124, 12));
            var data = at + 512;
            if (size is not { } length || data + length > file.Length)
            {
                break;
            }

            var type = header[156];
            if (length >= MinimumMember && type is (byte)'0' or 0 or (byte)'7' && HasMagic(magic.AsSpan(0, ReadAt(file, data, magic))))
            {
                ranges.Add(new Range(data, length));
            }

            at = data + ((length + 511) / 512 * 512);
        }

        file.Position = 0;
        return ranges;
    }

    private static bool IsUstar(ReadOnlySpan<byte> header) => header.Slice(257, 5).SequenceEqual("ustar"u8);

    /// <summary>A tar size field: octal digits (space or NUL ended), or base-256 when the first byte's top bit is set.</summary>
    private static long? Size(ReadOnlySpan<byte> field)
    {
        if ((field[0] & 0x80) != 0)
        {
            return field[..4].IndexOfAnyExcept((byte)0x80, (byte)0) >= 0 ? null : BinaryPrimitives.ReadInt64BigEndian(field[4..]);
        }

        long value = 0;
        foreach (var b in field)
        {
            if (b is (byte)' ' or 0)
            {
                break;
            }

            if (b is < (byte)'0' or > (byte)'7')
            {
                return null;
            }

            value = (value * 8) + (b - '0');
        }

        return value;
    }

    private static int ReadAt(Stream file, long offset, byte[] buffer)
    {
        file.Position = offset;
        var total = 0;
        while (total < buffer.Length)
        {
            var n = file.Read(buffer, total, buffer.Length - total);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }
}
