namespace KubeAirgap.Pki.State;

/// <summary>Writes a file whole or not at all (<see cref="Files.AtomicFile"/>: a temporary name in the same folder, the
/// final mode, fsync, then a rename), and not at all when it already holds the bytes. Modes apply on Unix (the build
/// host for real bundles); on Windows the file is written without them.</summary>
public static class SecureFile
{
    public const UnixFileMode Secret = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode Public = Secret | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    public const UnixFileMode PrivateDir = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Writes <paramref name="content"/> unless the file already holds it with that mode; returns whether it changed the file.</summary>
    public static bool Write(string path, byte[] content, UnixFileMode mode, UnixFileMode? dirMode = null) =>
        Files.AtomicFile.Write(path, content, mode, dirMode);

    public static bool Write(string path, string text, UnixFileMode mode, UnixFileMode? dirMode = null) =>
        Write(path, System.Text.Encoding.UTF8.GetBytes(text), mode, dirMode);
}
