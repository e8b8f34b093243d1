using KubeAirgap.Fetch;
using KubeAirgap.Pins;

namespace KubeAirgap.Nginx;

/// <summary>
/// The nginx source release a cluster's kube-nginx is built from: the version its release pins, the sha256
/// pins.yaml gives for it, and the verified tarball the Fetch task left in the content-addressed cache
/// (<c>&lt;cache&gt;/sha256/&lt;hex&gt;</c>), or an explicitly given file (<c>[Nginx] Source</c>) that must have the same sha256.
/// </summary>
public sealed record NginxSource(string Version, string Sha256, string TarballPath)
{
    public const string ComponentName = "nginx";

    public static NginxSource Locate(PinsFile pins, string kubernetesVersion, ArtifactCache cache, string? explicitTarball)
    {
        var release = pins.ReleaseFor(kubernetesVersion)
            ?? throw new KubeNginxException($"pins.yaml has no release for Kubernetes {kubernetesVersion}");
        var version = release.VersionOf(ComponentName)
            ?? throw new KubeNginxException($"pins.yaml: the release for Kubernetes {kubernetesVersion} pins no '{ComponentName}' version");
        var component = pins.Find(ComponentName, version)
            ?? throw new KubeNginxException($"pins.yaml: no component '{ComponentName}' version {version}");
        var artifact = component.For(PinsFile.NoArch)
            ?? throw new KubeNginxException($"pins.yaml: {ComponentName} {version} has no '{PinsFile.NoArch}' source artifact");
        if (artifact.Sha256 is null)
        {
            throw new KubeNginxException($"pins.yaml: {ComponentName} {version} ({artifact.Url}) has no sha256; fill it with the Lock task");
        }

        var digest = Digest.Sha256(artifact.Sha256);
        if (!string.IsNullOrWhiteSpace(explicitTarball))
        {
            return new NginxSource(version, digest.Hex, Path.GetFullPath(explicitTarball));
        }

        return cache.TryGet(digest) is { } path
            ? new NginxSource(version, digest.Hex, path)
            : throw new KubeNginxException(
                $"the nginx {version} source ({artifact.Url}, {digest}) is not in the cache {cache.Root}: run the Fetch task first "
                + "(./build.sh --target=Fetch), or set [Nginx] Source=/path/to/nginx-" + version + ".tar.gz in cake.config");
    }
}
