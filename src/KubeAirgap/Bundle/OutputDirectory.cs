using KubeAirgap.Content;

namespace KubeAirgap.Bundle;

/// <summary>
/// Build-host permissions of what Bundle writes: the output directory is 0700 (its tarballs hold ca.key, sa.key,
/// admin.conf and the encryption config), a tarball holding any secret is 0600, and the files an operator hands
/// on to others (SHA256SUMS, its signature, the public key, verify-bundle.sh, the manifests) are 0644.
/// </summary>
public static class OutputDirectory
{
    public const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public const UnixFileMode Secret = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public const UnixFileMode Public = Secret | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public const UnixFileMode PublicExecutable = Public | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>Creates <paramref name="dir"/> (and its parents) and makes it 0700, also when it existed with a wider mode.</summary>
    public static void Create(string dir)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(dir);
            return;
        }

        Directory.CreateDirectory(dir, Private);
        SetMode(dir, Private);
    }

    /// <summary>
    /// Sets <paramref name="mode"/> on <paramref name="file"/> when it has another (a no-op on Windows). Only then: a
    /// chmod, even to the same mode, moves the file's ctime, and the digest cache keys a kept tarball by its ctime, so an
    /// unconditional chmod made every no-op rebuild read the kept tarballs again and rewrite the cache.
    /// </summary>
    public static void SetMode(string file, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows() && File.GetUnixFileMode(file) != mode)
        {
            File.SetUnixFileMode(file, mode);
        }
    }

    /// <summary>Writes <paramref name="content"/> with <paramref name="mode"/> through the one atomic writer, and not at all
    /// when the file holds these bytes already (a no-op rebuild touches nothing).</summary>
    public static void WriteAtomic(string path, byte[] content, UnixFileMode mode) => AtomicFile.WriteIfChanged(path, content, mode);
}
