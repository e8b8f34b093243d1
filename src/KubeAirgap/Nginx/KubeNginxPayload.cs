using KubeAirgap.Content;

namespace KubeAirgap.Nginx;

/// <summary>
/// Puts kube-nginx into a payload directory (artifacts/&lt;cluster&gt;/payload/&lt;key&gt;/): <c>bin/kube-nginx</c>
/// (0755) and <c>meta/kube-nginx.json</c>. Files are written under a temporary name and renamed; an identical
/// binary already in place is left untouched.
/// </summary>
public static class KubeNginxPayload
{
    public static string BinaryPath(string payloadDir) => Path.Combine(payloadDir, "bin", NginxBuilder.BinaryName);

    public static string MetadataPath(string payloadDir) => Path.Combine(payloadDir, "meta", KubeNginxMetadata.FileName);

    public static void Publish(NginxBuild build, string payloadDir)
    {
        var binary = BinaryPath(payloadDir);
        Directory.CreateDirectory(Path.GetDirectoryName(binary)!);
        if (!File.Exists(binary) || Sha256Hex.OfFile(binary) != build.Metadata.Sha256)
        {
            using var pending = PendingFile.For(binary);
            File.Copy(build.BinaryPath, pending.TempPath);
            NginxCache.SetExecutable(pending.TempPath);
            var copied = Sha256Hex.OfFile(pending.TempPath);
            if (copied != build.Metadata.Sha256)
            {
                throw new KubeNginxException($"{binary}: copied bytes have sha256 {copied}, expected {build.Metadata.Sha256}");
            }

            pending.Commit();
        }
        else
        {
            NginxCache.SetExecutable(binary);
        }

        AtomicFile.WriteIfChanged(MetadataPath(payloadDir), build.Metadata.ToJson());
    }
}
