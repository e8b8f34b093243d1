using System.Runtime.InteropServices;

namespace KubeAirgap.Content;

/// <summary>
/// Starts a new file with every byte of another (the payload's gzip member at the head of each self-contained
/// tarball) the cheapest way the file system allows, then leaves it open for the rest to be appended:
/// <list type="number">
/// <item><see cref="Method.SharedExtents"/>: the file shares the source's extents (<c>FICLONE</c>; XFS with
/// reflink, btrfs): no bytes are written, fifty tarballs cost about what one does.</item>
/// <item><see cref="Method.Direct"/>: the bytes are written past the page cache (<see cref="DirectFileStream"/>;
/// ext4 and most others), where copying through it keeps a small machine's cores busy in the kernel.</item>
/// <item><see cref="Method.KernelCopy"/>: <see cref="KernelCopy.CopyInto"/> (no direct I/O on this OS or file system).</item>
/// </list>
/// Every method gives the same bytes; which one ran is reported.
/// </summary>
public static class PrefixedFile
{
    public enum Method
    {
        SharedExtents,
        Direct,
        KernelCopy,
    }

    /// <summary>The open file, positioned after the prefix, and how the prefix got there.</summary>
    public sealed record Opened(Stream Stream, long PrefixLength, Method Method);

    /// <summary>All methods, in the order they are tried.</summary>
    public static readonly IReadOnlyList<Method> Any = [Method.SharedExtents, Method.Direct, Method.KernelCopy];

    private const int EOPNOTSUPP = 95;
    private const int EXDEV = 18;
    private const int EINVAL = 22;
    private const int ENOTTY = 25;
    private const int EBADF = 9;
    private const int EPERM = 1;
    private const ulong Ficlone = 0x40049409;

    /// <summary>Creates <paramref name="file"/>'s temporary file starting with the bytes of <paramref name="prefix"/>.</summary>
    /// <param name="methods">the methods allowed, tried in <see cref="Any"/>'s order (tests pin one); null: all.</param>
    public static Opened Open(PendingFile file, string prefix, IReadOnlyCollection<Method>? methods = null)
    {
        methods ??= Any;
        var stream = file.OpenWrite(bufferSize: 1);
        try
        {
            if (methods.Contains(Method.SharedExtents) && TryClone(prefix, stream) is { } cloned)
            {
                stream.Position = cloned;
                return new Opened(stream, cloned, Method.SharedExtents);
            }

            if (methods.Contains(Method.Direct) && DirectFileStream.TryOver(stream) is { } direct)
            {
                try
                {
                    return new Opened(direct, direct.CopyFrom(prefix), Method.Direct);
                }
                catch
                {
                    direct.Dispose();
                    throw;
                }
            }

            if (!methods.Contains(Method.KernelCopy))
            {
                throw new NotSupportedException($"{file.Target}: none of {string.Join(", ", methods)} works on this file system");
            }

            return new Opened(stream, KernelCopy.CopyInto(prefix, stream), Method.KernelCopy);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>The source's length once <paramref name="target"/> (empty) shares all its extents; null when the file system cannot.</summary>
    private static long? TryClone(string source, FileStream target)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        if (Ioctl((int)target.SafeFileHandle.DangerousGetHandle(), Ficlone, (int)input.SafeFileHandle.DangerousGetHandle()) == 0)
        {
            return input.Length;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno is EOPNOTSUPP or EXDEV or EINVAL or ENOTTY or EBADF or EPERM)
        {
            return null;
        }

        throw new IOException($"{target.Name}: sharing the extents of {source} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
    }

    [DllImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Ioctl(int fd, ulong request, int arg);
}
