using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;

namespace KubeAirgap.Content;

/// <summary>
/// What the kernel says identifies one version of a file (<c>statx</c>, not following links): device and inode (a
/// file replaced by a rename has another inode), size, and mtime and ctime in nanoseconds. Any write to the file
/// sets its ctime to the current time, and no system call sets ctime to a chosen value (<c>touch -d</c> restores
/// mtime only), so a file rewritten in place with the same size and its old mtime still gets a new identity.
/// </summary>
public readonly record struct FileIdentity(ulong Device, ulong Inode, long Size, long MtimeNs, long CtimeNs)
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7FF;
    private const int Nanoseconds = 1_000_000_000;

    /// <summary>The identity of the file at <paramref name="path"/>; null when it is not a regular file, is missing, or
    /// the platform has no statx (then nothing can be recognised as unchanged).</summary>
    public static FileIdentity? Of(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        // struct statx (linux/stat.h), the same layout on every architecture: stx_mode u16 @28, stx_ino u64 @32,
        // stx_size u64 @40, stx_ctime @96 and stx_mtime @112 as {s64 tv_sec; u32 tv_nsec}, stx_dev_major/minor u32 @136/@140
        var buffer = new byte[256];
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
        {
            return null;
        }

        if ((BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(28)) & 0xF000) != 0x8000)
        {
            return null;
        }

        long Time(int at) => (BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(at)) * Nanoseconds) + BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(at + 8));
        var device = ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(136)) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(140));
        return new FileIdentity(device, BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(32)), (long)BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(40)), Time(112), Time(96));
    }

    /// <summary>When the file's inode last changed (contents, mode, owner, link count, a rename).</summary>
    public DateTimeOffset Changed => DateTimeOffset.UnixEpoch.AddTicks(CtimeNs / 100);

    /// <summary>The five numbers as text, separated by <paramref name="separator"/> (how <see cref="FileDigestCache"/> stores them).</summary>
    public string Format(char separator) =>
        string.Join(separator, new[] { Device, Inode }.Select(n => n.ToString(CultureInfo.InvariantCulture)).Concat(new[] { Size, MtimeNs, CtimeNs }.Select(n => n.ToString(CultureInfo.InvariantCulture))));

    /// <summary>Reads <see cref="Format"/>'s five fields back; false when any is not a number.</summary>
    public static bool TryParse(ReadOnlySpan<string> fields, out FileIdentity identity)
    {
        identity = default;
        if (fields.Length != 5
            || !ulong.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var device)
            || !ulong.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var inode)
            || !long.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var size)
            || !long.TryParse(fields[3], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var mtime)
            || !long.TryParse(fields[4], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ctime))
        {
            return false;
        }

        identity = new FileIdentity(device, inode, size, mtime, ctime);
        return true;
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [Out] byte[] buffer);
}
