using System.Formats.Tar;
using System.Security.Cryptography;
using KubeAirgap.Bundle.Tar;
using KubeAirgap.Bundle;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Bundle;

/// <summary>
/// Issue 17 item 3: the payload member is one gzip member made on every core, with data that is compressed already
/// in stored deflate blocks. Real tools read it (gzip -t checks CRC-32 and ISIZE; busybox and Python's zlib decode
/// it); the bytes depend only on the input, never on the worker count or on the run.
/// </summary>
public sealed class ParallelGzipTests
{
    [Fact]
    public void A_member_of_stored_blocks_passes_gzip_t_and_every_reader_gives_back_the_input()
    {
        // Given: 3.5 MiB of random bytes marked as compressed already (like a layer), between compressible text
        var layer = Random(3 * 1024 * 1024 + 512 * 1024 + 7, seed: 1);
        var text = Text(300 * 1024);
        using var dir = new TempDirectory("kag-pgzip");
        var input = dir.Combine("input");
        File.WriteAllBytes(input, [.. text, .. layer, .. text]);

        // When
        var member = dir.Combine("member.gz");
        using (var output = File.Create(member))
        using (var gzip = new ParallelGzipWriter(output, 6, workers: 2))
        {
            gzip.Write(text);
            gzip.Write(layer, compressedAlready: true);
            gzip.Write(text);
            gzip.Finish();
            Assert.True(gzip.StoredPieces >= 4, $"{gzip.StoredPieces} stored pieces for 3.5 MiB of compressed data");
            Assert.True(gzip.CompressedPieces >= 2, $"{gzip.CompressedPieces} compressed pieces for the text");
        }

        // Then: stored blocks cost 5 bytes per 64 KiB, the text shrinks; gzip -t checks the CRC-32 and ISIZE
        var size = new FileInfo(member).Length;
        Assert.InRange(size, layer.Length, layer.Length + (layer.Length / 1000) + text.Length);
        Cmd.Run("gzip", "-t", member).EnsureSuccess("gzip -t");
        Cmd.Bash($"gzip -dc '{member}' > '{input}.gzip' && busybox gunzip -c '{member}' > '{input}.busybox' && " +
            $"python3 -c 'import gzip,sys; open(sys.argv[2],\"wb\").write(gzip.open(sys.argv[1]).read())' '{member}' '{input}.python'").EnsureSuccess("decompress");
        foreach (var reader in new[] { "gzip", "busybox", "python" })
        {
            Assert.True(File.ReadAllBytes($"{input}.{reader}").AsSpan().SequenceEqual(File.ReadAllBytes(input)), $"{reader} did not give back the input");
        }
    }

    [Fact]
    public void A_stored_piece_is_deflate_stored_blocks_with_length_and_its_complement()
    {
        var data = Random(70_000, seed: 2);
        var piece = ParallelGzipWriter.EncodePiece(data, 6, compressedAlready: true);

        Assert.True(piece.IsStored);
        Assert.Equal(data.Length + 10, piece.Bytes.Length);
        Assert.Equal(new byte[] { 0x00, 0xff, 0xff, 0x00, 0x00 }, piece.Bytes[..5]);
        Assert.True(piece.Bytes.AsSpan(5, 65535).SequenceEqual(data.AsSpan(0, 65535)));
        var second = 5 + 65535;
        Assert.Equal(0, piece.Bytes[second]);
        Assert.Equal((ushort)(70_000 - 65535), BitConverter.ToUInt16(piece.Bytes, second + 1));
        Assert.Equal(unchecked((ushort)~(70_000 - 65535)), BitConverter.ToUInt16(piece.Bytes, second + 3));
    }

    [Fact]
    public void Incompressible_data_not_marked_as_such_is_measured_and_stored()
    {
        var data = Random(2 * ParallelGzipWriter.BlockSize, seed: 3);
        using var output = new MemoryStream();
        using var gzip = new ParallelGzipWriter(output, 6, workers: 2);

        gzip.Write(data);
        gzip.Finish();

        Assert.Equal(2, gzip.StoredPieces);
        Assert.Equal(0, gzip.CompressedPieces);
        Assert.InRange(output.Length, data.Length, data.Length + (data.Length / 1000));
    }

    [Fact]
    public void The_bytes_are_identical_across_runs_and_worker_counts()
    {
        // a mix that cuts pieces at block boundaries and at every switch of kind, and a short last piece
        var parts = new (byte[] Data, bool Compressed)[]
        {
            (Text(2 * ParallelGzipWriter.BlockSize + 12345), false),
            (Random(ParallelGzipWriter.BlockSize + 99, seed: 4), true),
            (Text(777), false),
            (Random(3 * ParallelGzipWriter.BlockSize / 2, seed: 5), false),
            (Text(ParallelGzipWriter.BlockSize / 3), false),
        };
        byte[] Make(int workers)
        {
            using var output = new MemoryStream();
            using (var gzip = new ParallelGzipWriter(output, 6, workers))
            {
                foreach (var (data, compressed) in parts)
                {
                    // written in uneven slices: where the caller's writes end must not matter either
                    for (var at = 0; at < data.Length; at += 100_003)
                    {
                        gzip.Write(data.AsSpan(at, Math.Min(100_003, data.Length - at)), compressed);
                    }
                }

                gzip.Finish();
            }

            return output.ToArray();
        }

        var reference = Make(1);
        foreach (var workers in new[] { 1, 2, 3, 8 })
        {
            Assert.True(Make(workers).AsSpan().SequenceEqual(reference), $"{workers} workers gave other bytes than 1");
        }

        using var dir = new TempDirectory("kag-pgzip");
        File.WriteAllBytes(dir.Combine("m.gz"), reference);
        Cmd.Run("gzip", "-t", dir.Combine("m.gz")).EnsureSuccess("gzip -t");
        var inflated = Cmd.Bash($"gzip -dc '{dir.Combine("m.gz")}' | sha256sum").EnsureSuccess("gzip -dc").Stdout.Split(' ')[0];
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(parts.SelectMany(p => p.Data).ToArray())), inflated);
    }

    [Fact]
    public void Compressible_data_comes_out_within_3_percent_of_gzip_6()
    {
        var data = Text(3 * ParallelGzipWriter.BlockSize);
        using var dir = new TempDirectory("kag-pgzip");
        File.WriteAllBytes(dir.Combine("in"), data);
        var gzipSize = long.Parse(Cmd.Bash($"gzip -6 -c '{dir.Combine("in")}' | wc -c").EnsureSuccess("gzip -6").Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);

        using var output = new MemoryStream();
        using (var gzip = new ParallelGzipWriter(output, 6, workers: 2))
        {
            gzip.Write(data);
            gzip.Finish();
        }

        Assert.True(output.Length < data.Length / 2, $"{output.Length} bytes for {data.Length} bytes of text");
        Assert.True(output.Length <= gzipSize * 1.03, $"{output.Length} bytes against gzip -6's {gzipSize}");
    }

    [Fact]
    public void The_layers_of_an_image_archive_are_found_as_compressed_ranges()
    {
        // Given: an OCI-style archive with a JSON index, a gzip'd layer and a plain (uncompressed) blob
        var layer = GzipMember.Compress(Random(300_000, seed: 6), 1);
        var plain = Text(50_000);
        using var archive = new MemoryStream();
        using (var tar = new TarWriter(archive, TarEntryFormat.Ustar, leaveOpen: true))
        {
            Add(tar, "index.json", "{\"schemaVersion\":2}"u8.ToArray());
            Add(tar, "blobs/sha256/layer", layer);
            Add(tar, "blobs/sha256/plain", plain);
        }

        // When
        var ranges = AlreadyCompressed.Of(archive);

        // Then: exactly the layer's data, at its offset after the index (header + padded data) and its own header
        var range = Assert.Single(ranges);
        Assert.Equal(512 + 512 + 512, range.Offset);
        Assert.Equal(layer.Length, range.Length);
        Assert.True(archive.ToArray().AsSpan((int)range.Offset, layer.Length).SequenceEqual(layer));
        Assert.Equal(0, archive.Position);
    }

    [Theory]
    [InlineData(new byte[] { 0x1f, 0x8b, 8, 0 }, true)]
    [InlineData(new byte[] { 0x28, 0xb5, 0x2f, 0xfd, 0 }, true)]
    [InlineData(new byte[] { 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00 }, true)]
    [InlineData(new byte[] { 0x7f, 0x45, 0x4c, 0x46 }, false)]
    public void A_file_that_starts_with_compressed_magic_is_compressed_whole(byte[] head, bool compressed)
    {
        using var file = new MemoryStream([.. head, .. Text(10_000)]);
        var ranges = AlreadyCompressed.Of(file);
        Assert.Equal(compressed ? [new AlreadyCompressed.Range(0, file.Length)] : Array.Empty<AlreadyCompressed.Range>(), ranges);
    }

    [Fact]
    public void Tarballs_are_identical_whatever_the_number_of_workers()
    {
        using var fixture = new SyntheticBundle(nodes: 2, binaryBytes: 2 * 1024 * 1024, imageBytes: 3 * 1024 * 1024);
        var one = BundleBuilder.Build(fixture.Request("one") with { Parallelism = 1 });
        var four = BundleBuilder.Build(fixture.Request("four") with { Parallelism = 4 });

        Assert.Equal(one.Tarballs.Select(t => t.Sha256), four.Tarballs.Select(t => t.Sha256));
        foreach (var t in four.Tarballs)
        {
            Cmd.Run("gzip", "-t", t.Path).EnsureSuccess($"gzip -t {t.Path}");
        }
    }

    private static void Add(TarWriter tar, string name, byte[] data) =>
        tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data), ModificationTime = DateTimeOffset.UnixEpoch });

    // The writer encodes into pooled buffers (peak RSS independent of the payload size); its bytes must still be exactly
    // EncodePiece's choice for every block: stored for data marked compressed, deflate or stored for the rest.
    [Fact]
    public void The_pooled_writer_writes_exactly_the_pieces_EncodePiece_chooses()
    {
        var text = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("kube-apiserver --etcd-servers=https://10.0.0.1:2379 ", 60_000)));
        var random = Random(ParallelGzipWriter.BlockSize + 12_345, seed: 7);
        var layer = Random(300_000, seed: 8);
        using var output = new MemoryStream();
        using (var gzip = new ParallelGzipWriter(output, 6, workers: 2))
        {
            gzip.Write(text);
            gzip.Write(random);
            gzip.Write(layer, compressedAlready: true);
            gzip.Finish();
        }

        var expected = new MemoryStream();
        expected.Write(ParallelGzipWriter.Header);
        foreach (var (data, stored) in new[] { (text.Concat(random).ToArray(), false), (layer, true) })
        {
            for (var at = 0; at < data.Length; at += ParallelGzipWriter.BlockSize)
            {
                var block = data.AsSpan(at, Math.Min(ParallelGzipWriter.BlockSize, data.Length - at));
                expected.Write(ParallelGzipWriter.EncodePiece(block, 6, stored).Bytes);
            }
        }

        var bytes = output.ToArray();
        Assert.True(bytes.AsSpan(0, (int)expected.Length).SequenceEqual(expected.ToArray()), "the writer's pieces differ from EncodePiece's");
        Assert.Equal(expected.Length + 2 + 8, bytes.Length);
    }

    private static byte[] Random(int size, int seed)
    {
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Compressible bytes: lines of words drawn from a small vocabulary.</summary>
    private static byte[] Text(int size)
    {
        var random = new Random(size);
        string[] words = ["kube", "airgap", "node", "etcd", "apiserver", "bundle", "payload", "layer", "gzip", "deflate", "\n"];
        var text = new System.Text.StringBuilder(size + 16);
        while (text.Length < size)
        {
            text.Append(words[random.Next(words.Length)]).Append(' ');
        }

        return System.Text.Encoding.ASCII.GetBytes(text.ToString(0, size));
    }
}
