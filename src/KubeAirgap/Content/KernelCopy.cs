using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace KubeAirgap.Content;

/// <summary>
/// Copies a whole file into the start of another one inside the kernel (<c>copy_file_range(2)</c>): the bytes never
/// pass through this process, which matters when the same payload member goes into fifty tarballs. Where the kernel
/// or the file system cannot (another OS, ENOSYS, EXDEV, EINVAL, EOPNOTSUPP), it falls back to a plain stream copy.
/// </summary>
public static class KernelCopy
{
    private const int ENOSYS = 38;
    private const int EXDEV = 18;
    private const int EINVAL = 22;
    private const int EOPNOTSUPP = 95;

    /// <summary>Writes every byte of <paramref name="source"/> at offset 0 of <paramref name="target"/> (empty, nothing buffered) and leaves it positioned after them. Returns the bytes copied.</summary>
    public static long CopyInto(string source, FileStream target)
    {
        if (target.Length != 0)
        {
            throw new InvalidOperationException($"{target.Name}: KernelCopy.CopyInto writes only into an empty file");
        }

        using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var length = input.Length;
        long copied = 0;
        if (OperatingSystem.IsLinux())
        {
            copied = InKernel(input.SafeFileHandle, target.SafeFileHandle, length);
        }

        if (copied < length)
        {
            input.Position = copied;
            target.Position = copied;
            input.CopyTo(target, 1 << 20);
        }
        else
        {
            target.Position = length;
        }

        if (target.Length != length)
        {
            throw new IOException($"{target.Name}: copying {source} gave {target.Length} bytes, expected {length}");
        }

        return length;
    }

    /// <summary>Copies from offset 0 while the kernel can; returns how far it got (0 when the kernel refuses the first call).</summary>
    private static long InKernel(SafeFileHandle from, SafeFileHandle to, long length)
    {
        long inOffset = 0;
        long outOffset = 0;
        while (inOffset < length)
        {
            var n = CopyFileRange(from.DangerousGetHandle().ToInt32(), ref inOffset, to.DangerousGetHandle().ToInt32(), ref outOffset, (nuint)Math.Min(length - inOffset, 1L << 30), 0);
            if (n > 0)
            {
                continue;
            }

            if (n == 0)
            {
                throw new IOException($"the source ended after {inOffset} of {length} bytes while it was copied");
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno is ENOSYS or EXDEV or EINVAL or EOPNOTSUPP)
            {
                return inOffset;
            }

            throw new IOException($"copy_file_range failed after {inOffset} of {length} bytes: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }

        return inOffset;
    }

    [DllImport("libc", EntryPoint = "copy_file_range", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint CopyFileRange(int fdIn, ref long offIn, int fdOut, ref long offOut, nuint len, uint flags);
}
