using System.Text;

namespace KubeAirgap.Bundle.Tar;

/// <summary>
/// One POSIX ustar header block, written by hand so that every byte is decided here: uid/gid 0, owner
/// <c>root</c>, a fixed mtime, no device numbers, no extended (PAX) records that would carry access times.
/// </summary>
public static class TarHeader
{
    public const int BlockSize = 512;

    /// <summary>The end-of-archive marker: two zero blocks.</summary>
    public static ReadOnlySpan<byte> EndOfArchive => new byte[BlockSize * 2];

    /// <summary>Zero bytes that pad <paramref name="size"/> bytes of data up to the next block.</summary>
    public static int PaddingFor(long size) => (int)((BlockSize - (size % BlockSize)) % BlockSize);

    public static byte[] File(string path, int mode, long size, long mtime) => Build(path, mode, size, mtime, (byte)'0');

    public static byte[] Directory(string path, int mode, long mtime) =>
        Build(path.EndsWith('/') ? path : path + "/", mode, 0, mtime, (byte)'5');

    /// <summary>A symbolic link (mode 0777, as <c>ln -s</c> makes them) to <paramref name="target"/>, at most 100 characters.</summary>
    public static byte[] Symlink(string path, string target, long mtime)
    {
        if (target.Length > 100)
        {
            throw new ArgumentException($"'{path}': link target '{target}' is longer than 100 characters (ustar)", nameof(target));
        }

        return Build(path, 0x1FF, 0, mtime, (byte)'2', target);
    }

    private static byte[] Build(string path, int mode, long size, long mtime, byte type, string linkTarget = "")
    {
        if (size < 0 || size > 0x1FFFFFFFFL)
        {
            throw new ArgumentOutOfRangeException(nameof(size), $"'{path}': {size} bytes does not fit a ustar header (8 GiB max)");
        }

        var header = new byte[BlockSize];
        var (prefix, name) = Split(path);
        Ascii(header, 0, 100, name);
        Octal(header, 100, 8, mode & 0xFFF);
        Octal(header, 108, 8, 0);
        Octal(header, 116, 8, 0);
        Octal(header, 124, 12, size);
        Octal(header, 136, 12, mtime);
        header[156] = type;
        Ascii(header, 157, 100, linkTarget);
        Ascii(header, 257, 6, "ustar");
        header[263] = (byte)'0';
        header[264] = (byte)'0';
        Ascii(header, 265, 32, "root");
        Ascii(header, 297, 32, "root");
        Octal(header, 329, 8, 0);
        Octal(header, 337, 8, 0);
        Ascii(header, 345, 155, prefix);

        // Checksum: the sum of all bytes with the checksum field read as spaces; "NNNNNN\0 ".
        for (var i = 148; i < 156; i++)
        {
            header[i] = (byte)' ';
        }

        var sum = 0;
        foreach (var b in header)
        {
            sum += b;
        }

        var digits = Convert.ToString(sum, 8).PadLeft(6, '0');
        Encoding.ASCII.GetBytes(digits, 0, 6, header, 148);
        header[154] = 0;
        header[155] = (byte)' ';
        return header;
    }

    /// <summary>ustar keeps long paths as prefix (155) + '/' + name (100), split at a slash.</summary>
    private static (string Prefix, string Name) Split(string path)
    {
        if (path.Any(c => c > 0x7E || c < 0x20))
        {
            throw new ArgumentException($"'{path}': only printable ASCII is allowed in bundle paths", nameof(path));
        }

        if (path.Length <= 100)
        {
            return (string.Empty, path);
        }

        for (var i = path.Length - 1; i > 0; i--)
        {
            if (path[i] == '/' && i <= 155 && path.Length - i - 1 <= 100 && path.Length - i - 1 > 0)
            {
                return (path[..i], path[(i + 1)..]);
            }
        }

        throw new ArgumentException($"'{path}' ({path.Length} characters) is too long for a ustar header (155 + 100)", nameof(path));
    }

    private static void Ascii(byte[] header, int offset, int length, string value)
    {
        var count = Encoding.ASCII.GetBytes(value, 0, value.Length, header, offset);
        if (count > length)
        {
            throw new ArgumentException($"'{value}' longer than {length} bytes");
        }
    }

    private static void Octal(byte[] header, int offset, int length, long value)
    {
        var digits = Convert.ToString(value, 8).PadLeft(length - 1, '0');
        Encoding.ASCII.GetBytes(digits, 0, length - 1, header, offset);
        header[offset + length - 1] = 0;
    }
}
