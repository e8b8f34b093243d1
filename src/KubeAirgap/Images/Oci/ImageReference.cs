using System.Text.RegularExpressions;

namespace KubeAirgap.Images.Oci;

/// <summary>
/// A parsed image reference, normalised the way containerd's CRI does (docker/distribution's ParseDockerRef):
/// <c>busybox</c> is <c>docker.io/library/busybox:latest</c>; a reference with a digest is looked up by
/// <c>name@digest</c> and its tag is only informative.
/// </summary>
public sealed partial record ImageReference(string Registry, string Repository, string? Tag, string? Digest)
{
    public const string DockerHub = "docker.io";

    /// <summary><c>registry/repository</c>, e.g. <c>registry.k8s.io/coredns/coredns</c>.</summary>
    public string Name => $"{Registry}/{Repository}";

    /// <summary><c>name:tag</c> (tag defaults to latest); the name an image is imported under.</summary>
    public string NameWithTag => $"{Name}:{Tag ?? "latest"}";

    /// <summary>What containerd's CRI looks an image up by: <c>name@digest</c> when pinned, else <c>name:tag</c>.</summary>
    public string Canonical => Digest is null ? NameWithTag : $"{Name}@{Digest}";

    /// <summary>The tag or digest to ask the registry for (the digest wins).</summary>
    public string ManifestReference => Digest ?? Tag ?? "latest";

    public ImageReference WithDigest(string digest) => this with { Digest = digest };

    public override string ToString() =>
        Name + (Tag is null ? string.Empty : ":" + Tag) + (Digest is null ? string.Empty : "@" + Digest);

    public static bool TryParse(string text, out ImageReference? reference)
    {
        reference = null;
        var match = Pattern().Match(text.Trim());
        if (!match.Success)
        {
            return false;
        }

        var path = match.Groups["path"].Value;
        var tag = match.Groups["tag"].Success ? match.Groups["tag"].Value : null;
        var digest = match.Groups["digest"].Success ? match.Groups["digest"].Value : null;
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        string registry;
        string repository;
        var first = slash < 0 ? string.Empty : path[..slash];
        if (slash > 0 && (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost"))
        {
            registry = first;
            repository = path[(slash + 1)..];
        }
        else
        {
            registry = DockerHub;
            repository = slash < 0 ? "library/" + path : path;
        }

        if (registry is "index.docker.io" or "registry-1.docker.io")
        {
            registry = DockerHub;
        }

        if (repository != repository.ToLowerInvariant())
        {
            return false;
        }

        reference = new ImageReference(registry, repository, tag, digest);
        return true;
    }

    public static ImageReference Parse(string text) =>
        TryParse(text, out var reference)
            ? reference!
            : throw new FormatException($"'{text}' is not an image reference such as registry.k8s.io/pause:3.10.2 or name:tag@sha256:<64 hex>");

    [GeneratedRegex(@"^(?<path>[a-zA-Z0-9][a-zA-Z0-9._-]*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::(?<tag>[\w][\w.-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$")]
    private static partial Regex Pattern();
}
