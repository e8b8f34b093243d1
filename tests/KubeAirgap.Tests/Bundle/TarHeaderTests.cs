using System.Formats.Tar;
using KubeAirgap.Bundle.Tar;
using KubeAirgap.Bundle;

namespace KubeAirgap.Tests.Bundle;

public sealed class TarHeaderTests
{
    [Fact]
    public void Long_paths_are_split_into_prefix_and_name_and_read_back()
    {
        var path = string.Join('/', Enumerable.Repeat("directory-name", 12)) + "/file";
        using var stream = new MemoryStream();
        stream.Write(TarHeader.File(path, 0x180, 3, 42));
        stream.Write("abc"u8);
        stream.Write(new byte[TarHeader.PaddingFor(3)]);
        stream.Write(TarHeader.EndOfArchive);
        stream.Position = 0;

        using var reader = new TarReader(stream);
        var entry = reader.GetNextEntry()!;
        Assert.Equal(path, entry.Name);
        Assert.Equal((UnixFileMode)0x180, entry.Mode);
        Assert.Equal(42, entry.ModificationTime.ToUnixTimeSeconds());
        Assert.Null(reader.GetNextEntry());
    }

    [Fact]
    public void A_path_that_cannot_be_split_is_refused_with_its_name()
    {
        var path = new string('x', 120);
        var error = Assert.Throws<ArgumentException>(() => TarHeader.File(path, 0x1A4, 0, 0));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }
}
