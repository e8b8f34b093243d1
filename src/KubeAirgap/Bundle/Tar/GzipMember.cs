using System.IO.Compression;

namespace KubeAirgap.Bundle.Tar;

/// <summary>
/// One gzip member (RFC 1952). .NET's GZipStream writes a fixed 10-byte header: magic, deflate, no flags
/// (so no file name), MTIME 0 and the OS byte; the bytes depend only on the input and the level.
/// Members concatenate into one valid gzip stream.
/// </summary>
public static class GzipMember
{
    public static byte[] Compress(ReadOnlySpan<byte> data, int level)
    {
        using var output = new MemoryStream();
        using (var gzip = Open(output, level))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    public static GZipStream Open(Stream output, int level)
    {
        if (level is < 0 or > 9)
        {
            throw new ArgumentOutOfRangeException(nameof(level), $"gzip level {level}: expected 0..9 ([Bundle] CompressionLevel)");
        }

        return new GZipStream(output, new ZLibCompressionOptions { CompressionLevel = level }, leaveOpen: true);
    }
}
