using System.Buffers.Binary;
using System.Formats.Tar;
using System.IO.Compression;
using KubeAirgap.Bundle;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Bundle;

/// <summary>
/// Every tarball of a payload key starts with the same gzip member (the shared payload, compressed once, no
/// end-of-archive marker), followed by a second member with the node's own directory and the marker.
/// </summary>
public sealed class FirstMemberTests
{
    [Fact]
    public void Every_tarball_of_a_payload_starts_with_the_same_first_gzip_member_compressed_once()
    {
        // a payload of a few MiB, as real ones are hundreds: the node's own member (installer, configs, PKI) stays small beside it
        using var fixture = new SyntheticBundle(binaryBytes: 2 * 1024 * 1024, imageBytes: 4 * 1024 * 1024);
        var result = fixture.Build();
        Assert.Equal(1, result.PayloadsCompressed);
        var stored = File.ReadAllBytes(Assert.Single(Directory.GetFiles(fixture.Dir.Combine("out-payloads"), "*.gz")));

        foreach (var t in result.Tarballs)
        {
            var bytes = File.ReadAllBytes(t.Path);
            Assert.Equal(stored.Length, t.PayloadMemberLength);
            Assert.Equal(bytes.Length, t.PayloadMemberLength + t.NodeMemberLength);
            Assert.True(bytes.AsSpan(0, stored.Length).SequenceEqual(stored), $"{t.Path} does not start with the stored payload member");
            Assert.True(t.PayloadMemberLength > 20 * t.NodeMemberLength, "the shared payload should dominate each tarball");

            // the payload goes in by a kernel copy and its hash is a copy of one state: the sha256 each tarball
            // reports (SHA256SUMS, the manifest) must still be that of its bytes, for every node after the first too
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), t.Sha256);
        }
    }

    [Fact]
    public void The_first_member_ends_where_the_second_begins_and_holds_the_payload_without_the_end_marker()
    {
        using var fixture = new SyntheticBundle(nodes: 2);
        var t = fixture.Build().Tarballs[1];
        var bytes = File.ReadAllBytes(t.Path);
        var first = bytes[..(int)t.PayloadMemberLength];
        var second = bytes[(int)t.PayloadMemberLength..];

        // Each half is a complete gzip stream on its own, so the split is a member boundary.
        using var dir = new TempDirectory("kag-members");
        File.WriteAllBytes(dir.Combine("first.gz"), first);
        File.WriteAllBytes(dir.Combine("second.gz"), second);
        Cmd.Run("gzip", "-t", dir.Combine("first.gz")).EnsureSuccess("gzip -t first member");
        Cmd.Run("gzip", "-t", dir.Combine("second.gz")).EnsureSuccess("gzip -t second member");

        // The first is one member: one DEFLATE stream after the 10-byte header whose output has the trailer's ISIZE.
        var payload = Inflate(first.AsSpan(10, first.Length - 18).ToArray());
        Assert.Equal(BinaryPrimitives.ReadUInt32LittleEndian(first.AsSpan(first.Length - 4)), (uint)payload.Length);

        // It is tar entries of the payload directory only, headers and padded data with nothing after them (no end marker).
        var names = new List<string>();
        long expected = 0;
        using (var reader = new TarReader(new MemoryStream(payload)))
        {
            while (reader.GetNextEntry() is { } e)
            {
                names.Add(e.Name);
                expected += 512 + ((e.Length + 511) / 512 * 512);
            }
        }

        Assert.Equal(expected, payload.Length);
        Assert.All(names, n => Assert.StartsWith(SyntheticBundle.FullPayloadTop + "/", n, StringComparison.Ordinal));
        Assert.Contains($"{SyntheticBundle.FullPayloadTop}/bin/etcd", names);
        Assert.Contains($"{SyntheticBundle.FullPayloadTop}/images/images.oci.tar", names);

        // The second holds the node's directory and ends with two zero blocks.
        var node = Inflate(second.AsSpan(10, second.Length - 18).ToArray());
        Assert.True(node.AsSpan(node.Length - 1024).IndexOfAnyExcept((byte)0) < 0, "the second member ends with the end-of-archive marker");
        using var nodeReader = new TarReader(new MemoryStream(node));
        while (nodeReader.GetNextEntry() is { } e)
        {
            Assert.StartsWith("t-n02/", e.Name, StringComparison.Ordinal);
        }
    }

    private static byte[] Inflate(byte[] deflate)
    {
        using var output = new MemoryStream();
        using (var inflate = new DeflateStream(new MemoryStream(deflate), CompressionMode.Decompress))
        {
            inflate.CopyTo(output);
        }

        return output.ToArray();
    }
}
