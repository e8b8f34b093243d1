using KubeAirgap.Content;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Content;

public sealed class KernelCopyTests : IDisposable
{
    private readonly TempDirectory _temp = new("kag-kcopy");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Copies_every_byte_and_leaves_the_stream_after_them_for_what_follows()
    {
        // Given: a source that is not a whole number of pages or of the copy's chunks
        var source = _temp.Combine("member.gz");
        var bytes = new byte[(3 << 20) + 4093];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(source, bytes);

        // When: copied into a buffered write stream, then written after
        var target = _temp.Combine("node.tar.gz");
        long copied;
        using (var stream = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
        {
            copied = KernelCopy.CopyInto(source, stream);
            stream.Write("tail"u8);
        }

        // Then
        Assert.Equal(bytes.Length, copied);
        var written = File.ReadAllBytes(target);
        Assert.Equal(bytes.Length + 4, written.Length);
        Assert.True(written.AsSpan(0, bytes.Length).SequenceEqual(bytes), "the copied bytes differ from the source");
        Assert.Equal("tail"u8.ToArray(), written[bytes.Length..]);
    }

    [Fact]
    public void Refuses_a_target_that_is_not_empty()
    {
        var source = _temp.Write("a", "payload");
        using var stream = new FileStream(_temp.Combine("b"), FileMode.CreateNew, FileAccess.Write);
        stream.Write("already here"u8);
        stream.Flush();

        var error = Assert.Throws<InvalidOperationException>(() => KernelCopy.CopyInto(source, stream));
        Assert.Contains("only into an empty file", error.Message);
    }
}
