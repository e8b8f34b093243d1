using System.Text;

namespace KubeAirgap.Content;

/// <summary>
/// Writes a file whole or not at all: the bytes go to a temporary name unique to this write (same folder, so the
/// rename stays on one file system; two builds never share it), are flushed to disk, get their final mode, and are
/// renamed over the target. A reader sees the old file or the new one, never half of either.
/// Modes apply on Unix (the build host for real bundles); on Windows files are written without them.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/>, replacing whatever was there.</summary>
    public static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode? mode = null, UnixFileMode? dirMode = null)
    {
        using var pending = PendingFile.For(path, mode, dirMode);
        using (var stream = pending.OpenWrite())
        {
            stream.Write(content);
        }

        pending.Commit();
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no byte-order mark).</summary>
    public static void Write(string path, string text, UnixFileMode? mode = null, UnixFileMode? dirMode = null) =>
        Write(path, Encoding.UTF8.GetBytes(text), mode, dirMode);

    /// <summary>Writes what <paramref name="write"/> puts into the stream it is given.</summary>
    public static void Write(string path, Action<Stream> write, UnixFileMode? mode = null, UnixFileMode? dirMode = null)
    {
        using var pending = PendingFile.For(path, mode, dirMode);
        using (var stream = pending.OpenWrite())
        {
            write(stream);
        }

        pending.Commit();
    }

    /// <summary>
    /// Writes <paramref name="content"/> unless the file already holds exactly it (and, when <paramref name="mode"/> is
    /// given, has that mode); returns whether it wrote. A no-op rebuild thus leaves files, and their times, untouched.
    /// </summary>
    public static bool WriteIfChanged(string path, ReadOnlySpan<byte> content, UnixFileMode? mode = null, UnixFileMode? dirMode = null)
    {
        if (Holds(path, content, mode))
        {
            return false;
        }

        Write(path, content, mode, dirMode);
        return true;
    }

    /// <summary><see cref="WriteIfChanged(string, ReadOnlySpan{byte}, UnixFileMode?, UnixFileMode?)"/> for UTF-8 text.</summary>
    public static bool WriteIfChanged(string path, string text, UnixFileMode? mode = null, UnixFileMode? dirMode = null) =>
        WriteIfChanged(path, Encoding.UTF8.GetBytes(text), mode, dirMode);

    /// <summary>Whether <paramref name="path"/> exists with exactly <paramref name="content"/> (and <paramref name="mode"/>, when given).</summary>
    public static bool Holds(string path, ReadOnlySpan<byte> content, UnixFileMode? mode = null)
    {
        var info = new FileInfo(path);
        if (!info.Exists || info.Length != content.Length)
        {
            return false;
        }

        if (mode is { } m && !OperatingSystem.IsWindows() && info.UnixFileMode != m)
        {
            return false;
        }

        return File.ReadAllBytes(path).AsSpan().SequenceEqual(content);
    }
}
