namespace KubeAirgap.Files;

/// <summary>
/// The one way a build output or a state file is written: whole or not at all (a temporary name in the same folder,
/// created with the final mode, flushed to disk, then renamed over the file), and not at all when the file already
/// holds those bytes. A rebuild with nothing changed thus leaves every file as it was, mtime and inode included; a
/// file whose bytes are right but whose mode is not only gets its mode set. Modes apply on Unix.
/// </summary>
public static class AtomicFile
{
    /// <summary>0644: what a file written without a mode of its own gets.</summary>
    public const UnixFileMode Readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Writes <paramref name="content"/> unless <paramref name="path"/> holds it already; returns whether the file changed (bytes or mode).</summary>
    public static bool Write(string path, ReadOnlySpan<byte> content, UnixFileMode mode, UnixFileMode? dirMode = null)
    {
        if (HasContent(path, content))
        {
            return SetMode(path, mode);
        }

        var temp = TempFor(path, dirMode);
        try
        {
            using (var stream = new FileStream(temp, Options(mode)))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            SetMode(temp, mode);
            File.Move(temp, path, overwrite: true);
            return true;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public static bool Write(string path, string text, UnixFileMode mode, UnixFileMode? dirMode = null) =>
        Write(path, System.Text.Encoding.UTF8.GetBytes(text), mode, dirMode);

    /// <summary>
    /// Renames the finished <paramref name="temp"/> (beside <paramref name="path"/>) over <paramref name="path"/>, unless
    /// <paramref name="path"/> has the same bytes already: then <paramref name="temp"/> is deleted and <paramref name="path"/>
    /// kept. Returns whether <paramref name="path"/> changed (bytes or mode).
    /// </summary>
    public static bool Replace(string temp, string path, UnixFileMode mode)
    {
        if (SameBytes(temp, path))
        {
            File.Delete(temp);
            return SetMode(path, mode);
        }

        using (var flush = new FileStream(temp, FileMode.Open, FileAccess.ReadWrite))
        {
            flush.Flush(flushToDisk: true);
        }

        SetMode(temp, mode);
        File.Move(temp, path, overwrite: true);
        return true;
    }

    /// <summary>A temporary name beside <paramref name="path"/> that no other writer uses (its folder is created).</summary>
    public static string TempFor(string path, UnixFileMode? dirMode = null)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        if (dirMode is { } dm && !OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(dir, dm);
        }
        else
        {
            Directory.CreateDirectory(dir);
        }

        return Path.Combine(dir, $".{Path.GetFileName(full)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
    }

    /// <summary>Options that create a new file with <paramref name="mode"/> (no window with a wider one).</summary>
    public static FileStreamOptions Options(UnixFileMode mode, int bufferSize = 4096)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = bufferSize };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = mode;
        }

        return options;
    }

    /// <summary>Whether <paramref name="path"/> exists with exactly <paramref name="content"/>.</summary>
    public static bool HasContent(string path, ReadOnlySpan<byte> content)
    {
        var info = new FileInfo(path);
        if (!info.Exists || info.Length != content.Length)
        {
            return false;
        }

        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var buffer = new byte[Math.Min(1 << 20, Math.Max(1, content.Length))];
        while (!content.IsEmpty)
        {
            var n = file.Read(buffer, 0, Math.Min(buffer.Length, content.Length));
            if (n == 0 || !buffer.AsSpan(0, n).SequenceEqual(content[..n]))
            {
                return false;
            }

            content = content[n..];
        }

        return true;
    }

    /// <summary>Whether both files exist with the same bytes (read side by side, stopping at the first difference).</summary>
    public static bool SameBytes(string a, string b)
    {
        var left = new FileInfo(a);
        var right = new FileInfo(b);
        if (!left.Exists || !right.Exists || left.Length != right.Length)
        {
            return false;
        }

        using var x = new FileStream(a, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        using var y = new FileStream(b, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var bx = new byte[1 << 20];
        var by = new byte[1 << 20];
        while (true)
        {
            var n = x.ReadAtLeast(bx, bx.Length, throwOnEndOfStream: false);
            if (n == 0)
            {
                return true;
            }

            if (y.ReadAtLeast(by.AsSpan(0, n), n, throwOnEndOfStream: false) != n || !bx.AsSpan(0, n).SequenceEqual(by.AsSpan(0, n)))
            {
                return false;
            }
        }
    }

    /// <summary>Sets <paramref name="mode"/> when the file has another one; returns whether it did (a no-op on Windows).</summary>
    public static bool SetMode(string path, UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows() || File.GetUnixFileMode(path) == mode)
        {
            return false;
        }

        File.SetUnixFileMode(path, mode);
        return true;
    }
}
