using System.Text.RegularExpressions;

namespace KubeAirgap.ImageRefs;

/// <summary>
/// A parsed image reference: the one grammar Validate, Images, Bundle and VerifyBundle read references with. It is
/// the OCI distribution reference grammar (distribution/reference, reference.go and regexp.go):
/// <code>
/// reference        := name [ ":" tag ] [ "@" digest ]
/// name             := [domain '/'] remote-name            (at most 255 characters)
/// domain           := host [':' port-number]
/// host             := domain-name | '[' IPv6address ']'
/// domain-name      := domain-component ['.' domain-component]*
/// domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
/// remote-name      := path-component ['/' path-component]*
/// path-component   := /[a-z0-9]+/ [separator /[a-z0-9]+/]*
/// separator        := /[_.]|__|[-]+/
/// tag              := /[\w][\w.-]{0,127}/
/// </code>
/// with one restriction of ours: the digest is <c>sha256:&lt;64 lower-case hex&gt;</c>, the only algorithm the
/// registry client and the archive verify. Names are normalised the way containerd's CRI does (ParseDockerRef):
/// the first component is the registry only when it has a '.' or ':', is <c>localhost</c>, or has upper case;
/// <c>busybox</c> is <c>docker.io/library/busybox:latest</c>; a reference with a digest is looked up by
/// <c>name@digest</c> and its tag is only informative.
/// </summary>
public sealed partial record ImageReference(string Registry, string Repository, string? Tag, string? Digest)
{
    public const string DockerHub = "docker.io";

    /// <summary>distribution/reference's NameTotalLengthMax.</summary>
    public const int NameTotalLengthMax = 255;

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
        if (!match.Success || match.Groups["name"].Length > NameTotalLengthMax)
        {
            return false;
        }

        var remote = match.Groups["remote"].Value;
        var tag = match.Groups["tag"].Success ? match.Groups["tag"].Value : null;
        var digest = match.Groups["digest"].Success ? match.Groups["digest"].Value : null;
        string registry;
        string repository;
        if (match.Groups["domain"].Success && IsRegistry(match.Groups["domain"].Value))
        {
            registry = match.Groups["domain"].Value;
            repository = remote;
        }
        else if (match.Groups["domain"].Success)
        {
            // e.g. calico/node: the first component is a path component, so it obeys that grammar
            if (!PathComponent().IsMatch(match.Groups["domain"].Value))
            {
                return false;
            }

            registry = DockerHub;
            repository = match.Groups["domain"].Value + "/" + remote;
        }
        else
        {
            registry = DockerHub;
            repository = remote.Contains('/', StringComparison.Ordinal) ? remote : "library/" + remote;
        }

        if (registry is "index.docker.io" or "registry-1.docker.io")
        {
            registry = DockerHub;
        }

        reference = new ImageReference(registry, repository, tag, digest);
        return true;
    }

    public static ImageReference Parse(string text) =>
        TryParse(text, out var reference)
            ? reference!
            : throw new FormatException($"'{text}' is not an image reference such as registry.k8s.io/pause:3.10.2 or name:tag@sha256:<64 hex>");

    /// <summary>The message Validate and the completeness check give for text <see cref="TryParse"/> refuses.</summary>
    public static string NotAReference(string text) =>
        $"'{text}' is not an image reference (OCI distribution grammar: [registry[:port]/]lowercase/path[:tag][@sha256:<64 hex>], e.g. registry.example.com/app:1.0)";

    private static bool IsRegistry(string first) =>
        first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost"
        || first.StartsWith('[') || first != first.ToLowerInvariant();

    private const string DomainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    private const string Host = @"(?:" + DomainComponent + @"(?:\." + DomainComponent + @")*|\[[a-fA-F0-9:]+\])";
    private const string Domain = Host + "(?::[0-9]+)?";
    private const string Component = "[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";

    [GeneratedRegex("^(?<name>(?:(?<domain>" + Domain + ")/)?(?<remote>" + Component + "(?:/" + Component + ")*))(?::(?<tag>[\\w][\\w.-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$")]
    private static partial Regex Pattern();

    [GeneratedRegex("^" + Component + "$")]
    private static partial Regex PathComponent();
}
