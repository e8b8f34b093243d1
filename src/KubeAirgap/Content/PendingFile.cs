namespace KubeAirgap.Content;

/// <summary>
/// One atomic write in progress: a temporary file next to <see cref="Target"/> that only <see cref="Commit"/> renames
/// into place. Fill it through <see cref="OpenWrite"/> or hand <see cref="TempPath"/> to code that writes a path (a
/// copy, an archive writer), check it, then commit. Disposing without committing deletes the temporary file.
/// </summary>
public sealed class PendingFile : IDisposable
{
    private readonly UnixFileMode? _mode;
    private bool _committed;

    private PendingFile(string target, UnixFileMode? mode)
    {
        Target = target;
        _mode = mode;
        var dir = Path.GetDirectoryName(target)!;
        TempPath = Path.Combine(dir, $".{Path.GetFileName(target)}.{Environment.ProcessId}-{Guid.NewGuid():N}.tmp");
    }

    /// <summary>The file the write will replace (full path).</summary>
    public string Target { get; }

    /// <summary>The temporary name, unique to this write, in the target's folder.</summary>
    public string TempPath { get; }

    /// <summary>Starts a write of <paramref name="path"/>, creating its folder (with <paramref name="dirMode"/> when given).</summary>
    public static PendingFile For(string path, UnixFileMode? mode = null, UnixFileMode? dirMode = null)
    {
        var target = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(target)!;
        if (dirMode is { } dm && !OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(dir, dm);
        }
        else
        {
            Directory.CreateDirectory(dir);
        }

        return new PendingFile(target, mode);
    }

    /// <summary>Creates the temporary file (it must not exist yet) with the final mode, for writing.</summary>
    public FileStream OpenWrite(int bufferSize = 1 << 16)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = bufferSize };
        if (_mode is { } mode && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = mode;
        }

        return new FileStream(TempPath, options);
    }

    /// <summary>Flushes the temporary file to disk, gives it its mode, and renames it over <see cref="Target"/>.</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        using (var stream = new FileStream(TempPath, FileMode.Open, FileAccess.Write, FileShare.None, 1))
        {
            stream.Flush(flushToDisk: true);
        }

        if (_mode is { } mode && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(TempPath, mode);
        }

        File.Move(TempPath, Target, overwrite: true);
        _committed = true;
    }

    /// <summary>
    /// <see cref="Commit"/>, unless <see cref="Target"/> already holds the same bytes: then the temporary file is
    /// dropped and the target kept as it is (inode and mtime; only a wrong mode is set). Returns whether it committed.
    /// </summary>
    public bool CommitIfChanged()
    {
        if (!SameBytes(TempPath, Target))
        {
            Commit();
            return true;
        }

        if (_mode is { } mode && !OperatingSystem.IsWindows() && File.GetUnixFileMode(Target) != mode)
        {
            File.SetUnixFileMode(Target, mode);
        }

        return false;
    }

    /// <summary>Whether both files exist with the same bytes (read side by side, stopping at the first difference).</summary>
    private static bool SameBytes(string a, string b)
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

    public void Dispose()
    {
        if (!_committed)
        {
            File.Delete(TempPath);
        }
    }
}
