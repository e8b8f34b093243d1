using KubeAirgap.Content;

namespace KubeAirgap.Pki.State;

/// <summary>The modes of PKI files, written through the one atomic writer (<see cref="AtomicFile"/>).</summary>
public static class SecureFile
{
    public const UnixFileMode Secret = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode Public = Secret | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    public const UnixFileMode PrivateDir = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Writes <paramref name="content"/> unless the file already holds it with that mode; returns whether it wrote.</summary>
    public static bool Write(string path, byte[] content, UnixFileMode mode, UnixFileMode? dirMode = null) =>
        AtomicFile.WriteIfChanged(path, content, mode, dirMode);

    public static bool Write(string path, string text, UnixFileMode mode, UnixFileMode? dirMode = null) =>
        Write(path, System.Text.Encoding.UTF8.GetBytes(text), mode, dirMode);
}
