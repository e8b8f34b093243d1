namespace KubeAirgap.Pki.State;

/// <summary>Writes a file whole or not at all: a temporary name in the same folder, the final mode set, then a rename.
/// Modes apply on Unix (the build host for real bundles); on Windows the file is written without them.</summary>
public static class SecureFile
{
    public const UnixFileMode Secret = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode Public = Secret | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    public const UnixFileMode PrivateDir = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Writes <paramref name="content"/> unless the file already holds it with that mode; returns whether it wrote.</summary>
    public static bool Write(string path, byte[] content, UnixFileMode mode, UnixFileMode? dirMode = null)
    {
        var unix = !OperatingSystem.IsWindows();
        if (File.Exists(path) && (!unix || File.GetUnixFileMode(path) == mode) && File.ReadAllBytes(path).AsSpan().SequenceEqual(content))
        {
            return false;
        }

        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (dirMode is { } dm && unix)
        {
            Directory.CreateDirectory(dir, dm);
        }
        else
        {
            Directory.CreateDirectory(dir);
        }

        var temp = Path.Combine(dir, $".{Path.GetFileName(path)}.tmp-{Guid.NewGuid():N}");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (unix)
            {
                options.UnixCreateMode = mode;
            }

            using (var stream = new FileStream(temp, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            if (unix)
            {
                File.SetUnixFileMode(temp, mode);
            }

            File.Move(temp, path, overwrite: true);
            return true;
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    public static bool Write(string path, string text, UnixFileMode mode, UnixFileMode? dirMode = null) =>
        Write(path, System.Text.Encoding.UTF8.GetBytes(text), mode, dirMode);
}
