using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace KubeAirgap.Tests.Fetch.Fixtures;

/// <summary>Builds small tar.gz and zip fixtures, including hostile ones (absolute paths, '..', outward links).</summary>
public static class Archives
{
    public sealed record Member(string Name, string? Content = null, string? LinkTo = null, bool Directory = false);

    public static byte[] TarGz(params Member[] members)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var m in members)
            {
                var type = m.Directory ? TarEntryType.Directory : m.LinkTo is not null ? TarEntryType.SymbolicLink : TarEntryType.RegularFile;
                var entry = new PaxTarEntry(type, m.Name) { Mode = (UnixFileMode)Convert.ToInt32("644", 8) };
                if (m.LinkTo is not null)
                {
                    entry.LinkName = m.LinkTo;
                }
                else if (m.Content is not null)
                {
                    entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(m.Content));
                }

                tar.WriteEntry(entry);
            }
        }

        return buffer.ToArray();
    }

    public static byte[] Zip(params Member[] members)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var m in members)
            {
                using var writer = new StreamWriter(zip.CreateEntry(m.Name).Open());
                writer.Write(m.Content ?? string.Empty);
            }
        }

        return buffer.ToArray();
    }
}
