using System.Globalization;
using KubeAirgap.Content;

namespace KubeAirgap.Tests.Support;

/// <summary>
/// The change a stat-based cache must not miss: other bytes written into the same inode at the same length, and the
/// old mtime put back with <c>touch -d</c>. Only the ctime (which no system call sets to a chosen value) tells.
/// </summary>
public static class SameSizeRewrite
{
    /// <summary>Inverts the byte at <paramref name="offset"/> in place, then restores the mtime to the nanosecond; returns the
    /// identity before. Waits first so the write lands in a later timestamp tick than the file's last change.</summary>
    public static FileIdentity FlipByte(string file, long offset)
    {
        var before = FileIdentity.Of(file) ?? throw new InvalidOperationException($"{file}: no regular file");
        Thread.Sleep(50);
        using (var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = offset;
            var b = stream.ReadByte();
            stream.Position = offset;
            stream.WriteByte((byte)~b);
        }

        Touch(file, before.MtimeNs);
        var after = FileIdentity.Of(file)!.Value;
        Assert.Equal((before.Device, before.Inode, before.Size, before.MtimeNs), (after.Device, after.Inode, after.Size, after.MtimeNs));
        Assert.NotEqual(before.CtimeNs, after.CtimeNs);
        return before;
    }

    /// <summary><c>touch -m -d @seconds.nanoseconds</c>: sets the mtime exactly.</summary>
    public static void Touch(string file, long mtimeNs)
    {
        var stamp = string.Create(CultureInfo.InvariantCulture, $"@{mtimeNs / 1_000_000_000}.{mtimeNs % 1_000_000_000:D9}");
        Cmd.Run("touch", "-m", "-d", stamp, file).EnsureSuccess("touch");
        Assert.Equal(mtimeNs, FileIdentity.Of(file)!.Value.MtimeNs);
    }
}
