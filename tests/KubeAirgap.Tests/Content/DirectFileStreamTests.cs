using System.Globalization;
using KubeAirgap.Content;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Content;

public sealed class DirectFileStreamTests : IDisposable
{
    private const int Capacity = 2 * DirectFileStream.Alignment;
    private readonly TempDirectory _temp = new("kag-direct");

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, 1)]
    [InlineData(1, 0)]
    [InlineData(4095, 1)]
    [InlineData(4096, 0)]
    [InlineData(Capacity - 1, 1)]
    [InlineData(Capacity, Capacity)]
    [InlineData((3 * Capacity) + 5, 7000)]
    public void Writes_exactly_the_bytes_of_a_copied_head_and_a_written_tail_across_buffer_boundaries(int head, int tail)
    {
        // Given: a head file and a tail of lengths on and off the alignment and the buffer
        var random = new Random(head + tail);
        var headBytes = new byte[head];
        var tailBytes = new byte[tail];
        random.NextBytes(headBytes);
        random.NextBytes(tailBytes);
        var source = _temp.Combine("head");
        File.WriteAllBytes(source, headBytes);

        // When: the head is copied in, the tail written in uneven pieces
        var target = _temp.Combine("out");
        using (var direct = DirectFileStream.TryOver(NewFile(target), Capacity) ?? throw new InvalidOperationException("no direct I/O on the test's file system"))
        {
            Assert.Equal(head, direct.CopyFrom(source));
            for (var at = 0; at < tail; at += 1000)
            {
                direct.Write(tailBytes, at, Math.Min(1000, tail - at));
            }

            Assert.Equal(head + tail, direct.Position);
        }

        // Then: the file is the head then the tail, no padding left
        Assert.Equal([.. headBytes, .. tailBytes], File.ReadAllBytes(target));
    }

    [Fact]
    public void The_file_is_written_with_O_DIRECT_and_none_of_its_pages_stay_in_the_page_cache()
    {
        // Given: 16 MiB, written once through the page cache (the control: fincore sees it resident) and once direct
        var bytes = new byte[16 << 20];
        new Random(3).NextBytes(bytes);
        var buffered = _temp.Combine("buffered");
        using (var file = NewFile(buffered))
        {
            file.Write(bytes);
            file.Flush(flushToDisk: true);
        }

        var direct = _temp.Combine("direct");
        string flags;
        using (var stream = DirectFileStream.TryOver(NewFile(direct)) ?? throw new InvalidOperationException("no direct I/O on the test's file system"))
        {
            stream.Write(bytes);
            flags = OpenFlagsOf(direct);
        }

        // Then
        Assert.True((Convert.ToInt32(flags, 8) & 0x4000) != 0, $"the file was not open with O_DIRECT (flags {flags})");
        Assert.True(ResidentBytes(buffered) >= bytes.Length / 2, "the control file written through the page cache is not resident: fincore cannot tell");
        Assert.Equal(0, ResidentBytes(direct));
        Assert.Equal(bytes, File.ReadAllBytes(direct));
    }

    [Fact]
    public void A_device_that_refuses_the_direct_write_gets_the_same_bytes_through_the_page_cache()
    {
        // Given: a buffer 256 bytes off the alignment, which direct I/O refuses (EINVAL), as a device with larger
        // blocks than the page would
        var bytes = new byte[(3 * Capacity) + 100];
        new Random(5).NextBytes(bytes);
        var target = _temp.Combine("skewed");

        // When
        bool direct;
        using (var stream = DirectFileStream.TryOver(NewFile(target), Capacity, skew: 256) ?? throw new InvalidOperationException("no direct I/O on the test's file system"))
        {
            stream.Write(bytes);
            direct = stream.IsDirect;
        }

        // Then: it went on buffered from the first refused write, and the file is whole
        Assert.False(direct, "the skewed buffer was written direct: the test no longer stands for a refusing device");
        Assert.Equal(bytes, File.ReadAllBytes(target));
    }

    [Fact]
    public void Refuses_a_file_that_is_not_empty_and_a_buffer_off_the_alignment()
    {
        using var file = NewFile(_temp.Combine("f"));
        Assert.Throws<ArgumentException>(() => DirectFileStream.TryOver(file, DirectFileStream.Alignment + 512));
        file.Write("already"u8);
        var error = Assert.Throws<InvalidOperationException>(() => DirectFileStream.TryOver(file));
        Assert.Contains("only in an empty file", error.Message);
    }

    /// <summary>The bytes of <paramref name="path"/> in the page cache (util-linux fincore).</summary>
    public static long ResidentBytes(string path) =>
        long.Parse(Cmd.Run("fincore", "--bytes", "--noheadings", "--output", "RES", path).EnsureSuccess("fincore").Stdout.Trim(), CultureInfo.InvariantCulture);

    private static FileStream NewFile(string path) => new(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);

    /// <summary>The octal open flags of this process's descriptor of <paramref name="path"/> (/proc/self/fdinfo).</summary>
    private static string OpenFlagsOf(string path)
    {
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            if (new FileInfo(fd).LinkTarget == path)
            {
                return File.ReadLines($"/proc/self/fdinfo/{Path.GetFileName(fd)}").First(l => l.StartsWith("flags:", StringComparison.Ordinal))["flags:".Length..].Trim();
            }
        }

        throw new InvalidOperationException($"{path} is not open in this process");
    }
}
