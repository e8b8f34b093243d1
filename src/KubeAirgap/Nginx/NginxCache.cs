using KubeAirgap.Content;

namespace KubeAirgap.Nginx;

/// <summary>
/// Built binaries in the pipeline cache: <c>&lt;cache&gt;/builds/kube-nginx/&lt;key sha256&gt;/{kube-nginx,kube-nginx.json}</c>.
/// An entry is written under a temporary name and renamed into place complete; one whose binary no longer
/// matches its recorded sha256 is discarded and rebuilt.
/// </summary>
public static class NginxCache
{
    public static string EntryFor(string cacheDir, BuildKey key) =>
        Path.Combine(Path.GetFullPath(cacheDir), "builds", NginxBuilder.BinaryName, key.Hash);

    public static KubeNginxMetadata? TryLoad(string entry, Action<string> log)
    {
        var binary = Path.Combine(entry, NginxBuilder.BinaryName);
        var meta = Path.Combine(entry, KubeNginxMetadata.FileName);
        if (!Directory.Exists(entry))
        {
            return null;
        }

        if (File.Exists(binary) && File.Exists(meta))
        {
            var metadata = KubeNginxMetadata.FromJson(File.ReadAllText(meta), meta);
            if (Sha256Hex.OfFile(binary) == metadata.Sha256)
            {
                return metadata;
            }
        }

        log($"discarding damaged cache entry {entry} (binary missing or not matching its recorded sha256)");
        Directory.Delete(entry, recursive: true);
        return null;
    }

    /// <summary>Copies the binary and its metadata into the entry; returns the entry directory.</summary>
    public static string Store(string entry, string binary, KubeNginxMetadata metadata, Action<string> log)
    {
        var parent = Path.GetDirectoryName(entry)!;
        Content.ArtifactCache.CreateOwnerOnly(parent);
        var temp = Path.Combine(parent, $".tmp-{Path.GetFileName(entry)[..16]}-{Guid.NewGuid():N}");
        Content.ArtifactCache.CreateOwnerOnly(temp);
        try
        {
            var target = Path.Combine(temp, NginxBuilder.BinaryName);
            File.Copy(binary, target);
            SetExecutable(target);
            if (Sha256Hex.OfFile(target) != metadata.Sha256)
            {
                throw new KubeNginxException($"copy of {binary} into the cache does not match its sha256");
            }

            File.WriteAllText(Path.Combine(temp, KubeNginxMetadata.FileName), metadata.ToJson());
            try
            {
                Directory.Move(temp, entry);
            }
            catch (IOException) when (Directory.Exists(entry))
            {
                // another build stored the same key first: same inputs, keep the existing entry
            }

            log($"cached kube-nginx in {entry}");
            return entry;
        }
        finally
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }
    }

    /// <summary>chmod 0755.</summary>
    internal static void SetExecutable(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path,
                UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
    }
}
