using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace KubeAirgap.Content;

/// <summary>
/// The type of a file as the kernel reports it (<c>statx</c> without following links). .NET exposes no file type
/// beyond file/directory/link, and a FIFO or device opened for hashing blocks or streams forever: Bundle packs only
/// regular files and says what else it found.
/// </summary>
internal static class FileKind
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const int ModeOffset = 28; // struct statx: stx_mode is a __u16 at byte 28 on every architecture

    /// <summary>Throws unless <paramref name="path"/> is a regular file (not a FIFO, socket or device).</summary>
    public static void RequireRegular(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var buffer = new byte[256];
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, buffer) != 0)
        {
            throw new IOException($"{path}: statx failed (errno {Marshal.GetLastPInvokeError()})");
        }

        var type = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(ModeOffset)) & 0xF000;
        var name = type switch
        {
            0x8000 => null,
            0x1000 => "a FIFO",
            0x2000 => "a character device",
            0x6000 => "a block device",
            0xC000 => "a socket",
            0xA000 => "a symbolic link",
            0x4000 => "a directory",
            _ => $"a file of type 0{Convert.ToString(type, 8)}",
        };
        if (name is not null)
        {
            throw new InvalidDataException($"{path}: {name}; Bundle packs only regular files");
        }
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [Out] byte[] buffer);
}
