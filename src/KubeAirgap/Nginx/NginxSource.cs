using KubeAirgap.Fetch;
using KubeAirgap.Pins;
using KubeAirgap.Content;

namespace KubeAirgap.Nginx;

/// <summary>
/// The nginx source release a cluster's kube-nginx is built from. pins.yaml names the version and digest; the Fetch
/// task downloads the tarball, checks the digest and the OpenPGP signature, keeps it in the cache and writes a
/// <see cref="StagedSource"/> record (<c>&lt;payload&gt;/sources/nginx.json</c>) pointing at it. <c>[Nginx] Source</c> may
/// name a local tarball instead; it is held to the same pinned digest and its signature (<c>&lt;tarball&gt;.asc</c> beside
/// it) is verified against the same pinned keys. There is no unsigned path.
/// </summary>
public sealed record NginxSource(string Version, string Sha256, string TarballPath, string? SignedBy)
{
    public const string ComponentName = "nginx";

    /// <summary>The nginx version the cluster's release pins, and its source artifact.</summary>
    public static (string Version, Artifact Artifact) Pinned(PinsFile pins, string kubernetesVersion)
    {
        var release = pins.ReleaseFor(kubernetesVersion)
            ?? throw new KubeNginxException($"pins.yaml has no release for Kubernetes {kubernetesVersion}");
        var version = release.VersionOf(ComponentName)
            ?? throw new KubeNginxException($"pins.yaml: the release for Kubernetes {kubernetesVersion} pins no '{ComponentName}' version");
        var component = pins.Find(ComponentName, version)
            ?? throw new KubeNginxException($"pins.yaml: no component '{ComponentName}' version {version}");
        var artifact = component.For(PinsFile.NoArch)
            ?? throw new KubeNginxException($"pins.yaml: {ComponentName} {version} has no '{PinsFile.NoArch}' source artifact");
        if (artifact.Signature is null)
        {
            throw new KubeNginxException($"pins.yaml: {ComponentName} {version} ({artifact.Url}) has no 'signature:' (url, keys): the nginx source must be verified by its OpenPGP signature");
        }

        return artifact.HasChecksum
            ? (version, artifact)
            : throw new KubeNginxException($"pins.yaml: {ComponentName} {version} ({artifact.Url}) has no checksum; fill it with the Lock task");
    }

    /// <param name="payloadDirectory">A payload directory Fetch staged (every payload carries the nginx source record).</param>
    /// <param name="explicitTarball">[Nginx] Source, or null/empty to use what Fetch staged.</param>
    /// <param name="pinsDirectory">Where pins.yaml lies (its signature key paths are relative to it).</param>
    public static NginxSource Locate(PinsFile pins, string kubernetesVersion, string payloadDirectory, string? explicitTarball, string pinsDirectory)
    {
        var (version, artifact) = Pinned(pins, kubernetesVersion);
        var pinned = artifact.Sha256 is { } sha256 ? Digest.Sha256(sha256) : Digest.Sha512(artifact.Sha512!);
        if (!string.IsNullOrWhiteSpace(explicitTarball))
        {
            var path = Path.GetFullPath(explicitTarball);
            var sha = Sha256For(path, pinned);
            var signature = path + ".asc";
            if (!File.Exists(signature))
            {
                throw new KubeNginxException($"[Nginx] Source {path}: its OpenPGP signature {signature} is missing (download it from {artifact.Signature!.Url}); a local source is verified like a fetched one");
            }

            try
            {
                var signer = Fetch.Pgp.PgpVerifier.Verify(path, signature, artifact.Signature!.Keys.Select(k => Path.GetFullPath(k, pinsDirectory)));
                return new NginxSource(version, sha, path, signer.Fingerprint);
            }
            catch (Fetch.Pgp.SignatureException e)
            {
                throw new KubeNginxException($"[Nginx] Source {path}: {e.Message}", e);
            }
        }

        var record = StagedSource.FileOf(payloadDirectory, ComponentName);
        if (!File.Exists(record))
        {
            throw new KubeNginxException(
                $"{record} not found: the nginx {version} source ({artifact.Url}, {pinned}) has not been fetched. Run the Fetch task first "
                + $"(./build.sh --target=Fetch), or set [Nginx] Source=/path/to/nginx-{version}.tar.gz in cake.config");
        }

        var staged = StagedSource.Read(payloadDirectory, ComponentName);
        if (staged.Version != version || staged.Digest != pinned.ToString())
        {
            throw new KubeNginxException(
                $"{record} is stale: it records nginx {staged.Version} ({staged.Digest}), pins.yaml now pins {version} ({pinned}); run the Fetch task again");
        }

        if (string.IsNullOrEmpty(staged.SignedBy))
        {
            throw new KubeNginxException($"{record} records no verified signature for {staged.Path}; run the Fetch task again");
        }

        if (!File.Exists(staged.Path))
        {
            throw new KubeNginxException($"{record} points to {staged.Path}, which is gone from the cache; run the Fetch task again");
        }

        return new NginxSource(version, Sha256For(staged.Path, pinned), staged.Path, staged.SignedBy);
    }

    /// <summary>The sha256 the builder checks: the pinned one, or (for a sha512 pin) the file's, once its sha512 matched.</summary>
    private static string Sha256For(string path, Digest pinned)
    {
        if (pinned.Algorithm == "sha256")
        {
            return pinned.Hex;
        }

        if (!File.Exists(path))
        {
            throw new KubeNginxException($"nginx source tarball not found: {path}");
        }

        var actual = Digest.OfFile(path, pinned.Algorithm);
        return actual == pinned
            ? Digest.OfFile(path).Hex
            : throw new KubeNginxException($"nginx source tarball {path}: expected {pinned}, actual {actual}");
    }
}
