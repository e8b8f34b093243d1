using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace KubeAirgap.Bundle.Tar;

/// <summary>
/// Writes ONE gzip member (RFC 1952) on every core, pigz-style. The input is cut into pieces at fixed places (every
/// <see cref="BlockSize"/> bytes, and wherever the caller switches between data to compress and data that is
/// compressed already); each piece becomes deflate blocks (RFC 1951) of its own, with no dictionary from the piece
/// before it: either stored blocks, or a raw deflate stream ended by a sync flush (an empty stored block, so the next
/// piece starts on a byte boundary). Pieces are encoded in parallel and written in order; one empty final block, the
/// CRC-32 and ISIZE close the member. What a piece becomes depends only on its bytes, its kind and the level, so the
/// output is identical across runs and for any number of workers. <c>gzip -t</c>, GNU/busybox tar and Python read it
/// as any gzip file.
/// </summary>
public sealed class ParallelGzipWriter : IDisposable
{
    /// <summary>Where the input is cut (a constant: the output must not depend on the machine).</summary>
    public const int BlockSize = 1 << 20;

    /// <summary>The gzip header: deflate, no flags (no name, no comment), MTIME 0, XFL 0, OS 3 (Unix).</summary>
    public static ReadOnlySpan<byte> Header => [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];

    /// <summary>A piece of at least this size that compresses worse than <see cref="IncompressibleRatio"/> in a
    /// sample of <see cref="SampleSize"/> bytes at level 1 is stored without trying the full level.</summary>
    private const int SampleSize = 32 * 1024;

    private const double IncompressibleRatio = 0.97;

    private const int StoredMax = ushort.MaxValue;

    private static ReadOnlySpan<byte> SyncFlushMarker => [0x00, 0x00, 0xff, 0xff];

    private readonly Stream _output;
    private readonly int _level;
    private readonly int _window;
    private readonly Queue<Task<Encoded>> _inFlight = new();
    private readonly Crc32 _crc = new();
    private byte[] _block = ArrayPool<byte>.Shared.Rent(BlockSize);
    private int _filled;
    private bool _storing;
    private bool _started;
    private bool _finished;

    /// <param name="level">deflate level 0-9 for the data to compress (0: stored blocks only).</param>
    /// <param name="workers">pieces encoded at once (at most); the output does not depend on it.</param>
    public ParallelGzipWriter(Stream output, int level, int workers)
    {
        if (level is < 0 or > 9)
        {
            throw new ArgumentOutOfRangeException(nameof(level), $"gzip level {level}: expected 0..9 ([Bundle] CompressionLevel)");
        }

        _output = output;
        _level = level;
        _window = 2 * Math.Max(1, workers);
    }

    /// <summary>Bytes written into the member so far (uncompressed).</summary>
    public long Length { get; private set; }

    /// <summary>Pieces written as stored blocks (compressed already, or found incompressible).</summary>
    public int StoredPieces { get; private set; }

    /// <summary>Pieces written as deflate-compressed blocks.</summary>
    public int CompressedPieces { get; private set; }

    /// <summary>Adds <paramref name="data"/>; <paramref name="compressedAlready"/> data goes into stored blocks unexamined.</summary>
    public void Write(ReadOnlySpan<byte> data, bool compressedAlready = false)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        if (!_started)
        {
            _output.Write(Header);
            _started = true;
        }

        if (data.IsEmpty)
        {
            return;
        }

        if (_filled > 0 && compressedAlready != _storing)
        {
            Cut();
        }

        _storing = compressedAlready;
        _crc.Append(data);
        Length += data.Length;
        while (!data.IsEmpty)
        {
            var n = Math.Min(data.Length, BlockSize - _filled);
            data[..n].CopyTo(_block.AsSpan(_filled));
            _filled += n;
            data = data[n..];
            if (_filled == BlockSize)
            {
                Cut();
            }
        }
    }

    /// <summary>Copies <paramref name="input"/> to its end.</summary>
    public void CopyFrom(Stream input, bool compressedAlready = false, long count = long.MaxValue)
    {
        var buffer = new byte[1 << 16];
        while (count > 0)
        {
            var read = input.Read(buffer, 0, (int)Math.Min(buffer.Length, count));
            if (read == 0)
            {
                return;
            }

            Write(buffer.AsSpan(0, read), compressedAlready);
            count -= read;
        }
    }

    /// <summary>Writes what is pending, the final block and the trailer (CRC-32, ISIZE). The output stream stays open.</summary>
    public void Finish()
    {
        if (_finished)
        {
            return;
        }

        Write([]);
        Cut();
        while (_inFlight.Count > 0)
        {
            WriteOldest();
        }

        // an empty final block with fixed codes: BFINAL=1, BTYPE=01, end-of-block (7 zero bits), as zlib ends a stream
        _output.Write([0x03, 0x00]);
        Span<byte> trailer = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, _crc.GetCurrentHashAsUInt32());
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[4..], unchecked((uint)Length));
        _output.Write(trailer);
        _finished = true;
    }

    /// <summary>Waits for pieces still being encoded (their output is dropped unless <see cref="Finish"/> ran).</summary>
    public void Dispose()
    {
        _finished = true;
        foreach (var piece in _inFlight)
        {
            piece.ContinueWith(_ => { }, TaskScheduler.Default).Wait();
            if (piece.IsCompletedSuccessfully)
            {
                piece.Result.Release();
            }
        }

        _inFlight.Clear();
        if (_block.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_block);
            _block = [];
        }
    }

    /// <summary>One piece as deflate blocks, none final: stored, or compressed and sync-flushed (whichever is smaller).</summary>
    public static Piece EncodePiece(ReadOnlySpan<byte> data, int level, bool compressedAlready)
    {
        var block = ArrayPool<byte>.Shared.Rent(data.Length);
        data.CopyTo(block);
        var encoded = Encode(block, data.Length, level, compressedAlready);
        var piece = new Piece(encoded.Bytes.AsSpan(0, encoded.Length).ToArray(), encoded.IsStored);
        encoded.Release();
        return piece;
    }

    /// <summary><paramref name="data"/> as stored blocks of at most 65535 bytes, each: a byte 0 (BFINAL=0, BTYPE=00, padding), LEN, NLEN, the bytes.</summary>
    public static byte[] Stored(ReadOnlySpan<byte> data)
    {
        var output = new byte[StoredLength(data.Length)];
        WriteStored(data, output);
        return output;
    }

    /// <summary>Writes <paramref name="data"/> as stored blocks into <paramref name="output"/> (at least
    /// <see cref="StoredLength"/> bytes); returns how many bytes it wrote.</summary>
    private static int WriteStored(ReadOnlySpan<byte> data, Span<byte> output)
    {
        var at = 0;
        do
        {
            var n = Math.Min(StoredMax, data.Length);
            output[at] = 0;
            BinaryPrimitives.WriteUInt16LittleEndian(output[(at + 1)..], (ushort)n);
            BinaryPrimitives.WriteUInt16LittleEndian(output[(at + 3)..], (ushort)~n);
            data[..n].CopyTo(output[(at + 5)..]);
            at += 5 + n;
            data = data[n..];
        }
        while (!data.IsEmpty);

        return at;
    }

    /// <summary><see cref="Stored"/> into a pooled buffer (the writer returns it once the piece is written): a 1 GiB
    /// payload then allocates no more than a 40 MiB one.</summary>
    private static Encoded StoredPooled(byte[] block, int length)
    {
        var output = ArrayPool<byte>.Shared.Rent(StoredLength(length));
        return new Encoded(output, WriteStored(block.AsSpan(0, length), output), IsStored: true, Pooled: true, block);
    }

    /// <summary>What a worker made of one block: <see cref="EncodePiece"/>'s choice, in a pooled buffer when stored.</summary>
    private static Encoded Encode(byte[] block, int length, int level, bool compressedAlready)
    {
        var data = block.AsSpan(0, length);
        if (compressedAlready || level == 0 || (data.Length >= 2 * SampleSize && Incompressible(data.Slice((data.Length - SampleSize) / 2, SampleSize))))
        {
            return StoredPooled(block, length);
        }

        // into a pooled buffer as long as the stored blocks: deflate output that does not fit would lose to them anyway
        // (and room for the final block the DeflateStream writes when disposed, after the part taken)
        var output = ArrayPool<byte>.Shared.Rent(StoredLength(length) + 64);
        using var buffer = new MemoryStream(output, 0, StoredLength(length) + 64, writable: true);
        int n;
        try
        {
            using var deflate = new DeflateStream(buffer, new ZLibCompressionOptions { CompressionLevel = level }, leaveOpen: true);
            deflate.Write(data);
            deflate.Flush(); // Z_SYNC_FLUSH: ends on a byte boundary with an empty stored block
            n = (int)buffer.Position;
        }
        catch (NotSupportedException)
        {
            ArrayPool<byte>.Shared.Return(output);
            return StoredPooled(block, length);
        }

        if (n < 4 || !output.AsSpan(n - 4, 4).SequenceEqual(SyncFlushMarker))
        {
            ArrayPool<byte>.Shared.Return(output);
            throw new InvalidOperationException("DeflateStream.Flush did not end with a sync flush marker (00 00 ff ff): this runtime's zlib cannot make parallel gzip members");
        }

        if (n >= StoredLength(length))
        {
            ArrayPool<byte>.Shared.Return(output);
            return StoredPooled(block, length);
        }

        return new Encoded(output, n, IsStored: false, Pooled: true, block);
    }

    private static int StoredLength(int length) => length + (5 * Math.Max(1, (length + StoredMax - 1) / StoredMax));

    /// <summary>
    /// Whether a fast deflate of <paramref name="sample"/> (level 1, up to the sync flush) keeps more than
    /// <see cref="IncompressibleRatio"/> of its bytes. Into a pooled buffer: this runs for every block that is not
    /// known to be compressed, so a buffer per call made the allocations, and with them the heap the GC keeps, grow
    /// with the payload (the benchmark's RSS row).
    /// </summary>
    private static bool Incompressible(ReadOnlySpan<byte> sample)
    {
        var room = StoredLength(sample.Length) + 64;
        var output = ArrayPool<byte>.Shared.Rent(room);
        try
        {
            using var buffer = new MemoryStream(output, 0, room, writable: true);
            using var deflate = new DeflateStream(buffer, new ZLibCompressionOptions { CompressionLevel = 1 }, leaveOpen: true);
            deflate.Write(sample);
            deflate.Flush(); // Z_SYNC_FLUSH, as the pieces end
            return buffer.Position > sample.Length * IncompressibleRatio;
        }
        catch (NotSupportedException)
        {
            return true; // more than the stored blocks would take
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(output);
        }
    }

    /// <summary>Hands the filled block to a worker and starts a new one; writes the oldest pieces while too many are in flight.</summary>
    private void Cut()
    {
        if (_filled == 0)
        {
            return;
        }

        var block = _block;
        var length = _filled;
        var stored = _storing;
        var level = _level;
        _inFlight.Enqueue(Task.Run(() => Encode(block, length, level, stored)));
        _block = ArrayPool<byte>.Shared.Rent(BlockSize);
        _filled = 0;
        while (_inFlight.Count >= _window)
        {
            WriteOldest();
        }
    }

    private void WriteOldest()
    {
        var piece = _inFlight.Dequeue().GetAwaiter().GetResult();
        if (piece.IsStored)
        {
            StoredPieces++;
        }
        else
        {
            CompressedPieces++;
        }

        _output.Write(piece.Bytes, 0, piece.Length);
        piece.Release();
    }

    /// <summary>A piece's deflate blocks, and whether they are stored ones.</summary>
    public readonly record struct Piece(byte[] Bytes, bool IsStored);

    /// <summary>A piece as the writer holds it: its first <paramref name="Length"/> bytes, and the pooled arrays to give back.</summary>
    private readonly record struct Encoded(byte[] Bytes, int Length, bool IsStored, bool Pooled, byte[] Block)
    {
        public void Release()
        {
            if (Pooled)
            {
                ArrayPool<byte>.Shared.Return(Bytes);
            }

            ArrayPool<byte>.Shared.Return(Block);
        }
    }
}
