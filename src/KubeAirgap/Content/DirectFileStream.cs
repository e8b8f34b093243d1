using System.Runtime.InteropServices;

namespace KubeAirgap.Content;

/// <summary>
/// A write-only stream over a new, empty file opened with <c>O_DIRECT</c>: every byte goes from one page-aligned
/// buffer straight to the device, past the page cache. For large files written once and not read back soon (fifty
/// self-contained tarballs of the same payload), the page cache is where the time goes on a small machine: on the
/// 2-core build host, 50 × 256 MiB through the page cache (<c>cp</c>, which is <c>copy_file_range</c>) took 30.4 s
/// with both cores in the kernel; the same bytes with <c>O_DIRECT</c> (<c>dd oflag=direct</c>) 7.1 s.
/// Writes are whole buffers at aligned offsets; the last, partial buffer is written padded to the alignment and the
/// file then cut to its length. Durability is the caller's as before (<see cref="PendingFile.Commit"/> fsyncs).
/// </summary>
public sealed class DirectFileStream : Stream
{
    /// <summary>Offsets, lengths and memory are aligned to this (a page: covers 512 and 4096-byte logical blocks).</summary>
    public const int Alignment = 4096;

    private const int FGetFl = 3;
    private const int FSetFl = 4;

    /// <summary>Pinned buffers of finished streams, for the next (fifty tarballs take turns with as many buffers as writers).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentBag<byte[]> Spare = [];

    private readonly FileStream _file;
    private readonly byte[] _block;
    private readonly Memory<byte> _aligned;
    private readonly int _capacity;
    private int _filled;
    private long _written;
    private bool _direct = true;
    private bool _closed;

    private DirectFileStream(FileStream file, int capacity, int skew)
    {
        _file = file;
        _capacity = capacity;
        var size = capacity + (2 * Alignment);
        _block = Spare.TryTake(out var spare) && spare.Length == size ? spare : GC.AllocateUninitializedArray<byte>(size, pinned: true);
        var address = Marshal.UnsafeAddrOfPinnedArrayElement(_block, 0);
        _aligned = _block.AsMemory((int)((Alignment - (address % Alignment)) % Alignment) + skew, capacity);
    }

    /// <summary>
    /// Switches <paramref name="file"/> (new and empty, opened for writing with no buffer of its own) to
    /// <c>O_DIRECT</c> and takes it over; null when this OS or file system has no direct I/O (the file is then untouched).
    /// </summary>
    /// <param name="capacity">the buffer, a multiple of <see cref="Alignment"/>: the size of every write but the last.</param>
    public static DirectFileStream? TryOver(FileStream file, int capacity = 2 << 20) => TryOver(file, capacity, skew: 0);

    /// <param name="skew">bytes the buffer is moved off the alignment: a test's stand-in for a device whose direct I/O wants more.</param>
    internal static DirectFileStream? TryOver(FileStream file, int capacity, int skew)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        if (capacity % Alignment != 0)
        {
            throw new ArgumentException($"the buffer of a direct write must be a multiple of {Alignment} bytes, not {capacity}", nameof(capacity));
        }

        if (file.Length != 0)
        {
            throw new InvalidOperationException($"{file.Name}: a direct write starts only in an empty file");
        }

        if (!OperatingSystem.IsLinux() || DirectFlag() is not { } direct)
        {
            return null;
        }

        // EINVAL: the file system does not do direct I/O (the flag is then not set)
        return SetDirect(file, direct, on: true) ? new DirectFileStream(file, capacity, skew) : null;
    }

    /// <summary>Bytes written so far (what the file will hold).</summary>
    public override long Position
    {
        get => _written + _filled;
        set => throw new NotSupportedException("a direct write only appends");
    }

    public override long Length => Position;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => !_closed;

    /// <summary>Appends every byte of <paramref name="source"/>, read straight into the aligned buffer (one copy, from the page cache or the disk). Returns how many.</summary>
    public long CopyFrom(string source)
    {
        using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var length = input.Length;
        long offset = 0;
        while (offset < length)
        {
            var read = RandomAccess.Read(input.SafeFileHandle, _aligned.Span[_filled..], offset);
            if (read == 0)
            {
                throw new IOException($"{source} ended after {offset} of {length} bytes while it was copied into {_file.Name}");
            }

            offset += read;
            _filled += read;
            if (_filled == _capacity)
            {
                WriteBuffer(_capacity);
            }
        }

        return length;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        while (!buffer.IsEmpty)
        {
            var n = Math.Min(buffer.Length, _capacity - _filled);
            buffer[..n].CopyTo(_aligned.Span[_filled..]);
            _filled += n;
            buffer = buffer[n..];
            if (_filled == _capacity)
            {
                WriteBuffer(_capacity);
            }
        }
    }

    /// <summary>Nothing: only whole aligned buffers can be written before the end (<see cref="Stream.Dispose()"/> writes the rest).</summary>
    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        try
        {
            if (disposing)
            {
                var length = _written + _filled;
                if (_filled > 0)
                {
                    var padded = (_filled + Alignment - 1) / Alignment * Alignment;
                    _aligned.Span[_filled..padded].Clear();
                    WriteBuffer(padded);
                }

                _file.SetLength(length);
            }
        }
        finally
        {
            Spare.Add(_block);
            if (disposing)
            {
                _file.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    private void WriteBuffer(int count)
    {
        try
        {
            RandomAccess.Write(_file.SafeFileHandle, _aligned.Span[..count], _written);
        }
        catch (IOException) when (_direct && Buffered())
        {
            // a device whose direct I/O wants a larger alignment refuses the write (EINVAL): the same write through
            // the page cache, and the rest too; a real error (ENOSPC, EIO) fails again here and is thrown
            RandomAccess.Write(_file.SafeFileHandle, _aligned.Span[..count], _written);
        }

        _written += _filled;
        _filled = 0;
    }

    /// <summary>Clears <c>O_DIRECT</c> on the file; whether it could.</summary>
    private bool Buffered()
    {
        _direct = false;
        return SetDirect(_file, DirectFlag()!.Value, on: false);
    }

    /// <summary>Sets or clears <paramref name="direct"/> (<c>O_DIRECT</c>) in the file's status flags; whether the kernel took it.</summary>
    private static bool SetDirect(FileStream file, int direct, bool on)
    {
        var fd = (int)file.SafeFileHandle.DangerousGetHandle();
        var flags = Fcntl(fd, FGetFl, 0);
        return flags >= 0 && Fcntl(fd, FSetFl, on ? flags | direct : flags & ~direct) == 0;
    }

    /// <summary>Whether the bytes still go past the page cache (false once a device refused a direct write).</summary>
    public bool IsDirect => _direct;

    /// <summary><c>O_DIRECT</c> on the architectures whose value is known (it differs between x86 and Arm).</summary>
    private static int? DirectFlag() => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.X86 => 0x4000,
        Architecture.Arm64 or Architecture.Arm => 0x10000,
        _ => null,
    };

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Fcntl(int fd, int cmd, int arg);
}
