namespace KubeAirgap.Pins;

/// <summary>pins.yaml: every upstream artifact, with version, per-arch URL and checksum, and its layout in the bundle.</summary>
public sealed record PinsFile(
    int SchemaVersion,
    IReadOnlyList<Release> Releases,
    IReadOnlyList<Component> Components,
    IReadOnlyList<ImagePin> Images)
{
    public const string NoArch = "noarch";

    public Release? ReleaseFor(string kubernetesVersion) =>
        Releases.FirstOrDefault(r => r.Kubernetes == kubernetesVersion.TrimStart('v'));

    public Component? Find(string name, string version) =>
        Components.FirstOrDefault(c => c.Name == name && c.Version == version.TrimStart('v'));

    public ImagePin? FindImage(string name, string version) =>
        Images.FirstOrDefault(i => i.Name == name && i.Version == version);
}

/// <summary>Which component and image versions go with one Kubernetes version.</summary>
public sealed record Release(
    string Kubernetes,
    IReadOnlyDictionary<string, string> Components,
    IReadOnlyDictionary<string, string> Images)
{
    /// <summary>The Kubernetes binaries: their version is the release's own, not a component pin.</summary>
    public static readonly IReadOnlySet<string> KubernetesBinaries = new HashSet<string>(StringComparer.Ordinal)
    {
        "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy", "kubectl",
    };

    /// <summary>The version of <paramref name="component"/> in this release; the kube-* binaries follow Kubernetes itself.</summary>
    public string? VersionOf(string component) =>
        KubernetesBinaries.Contains(component)
            ? Kubernetes
            : Components.GetValueOrDefault(component);
}

public sealed record Component(
    string Name,
    string Version,
    string? License,
    ArchiveLayout Layout,
    IReadOnlyDictionary<string, Artifact> Artifacts)
{
    /// <summary>The artifact for <paramref name="arch"/>, or the arch-independent one.</summary>
    public Artifact? For(string arch) =>
        Artifacts.GetValueOrDefault(arch) ?? Artifacts.GetValueOrDefault(PinsFile.NoArch);
}

/// <summary>How an artifact becomes files: a plain file, an archive (tar.gz, tgz, zip) or a source tarball kept whole.</summary>
public sealed record ArchiveLayout(string Type, IReadOnlyList<LayoutFile> Files);

/// <summary>Archive member (may contain <c>{arch}</c>) → path in the bundle, with its mode.</summary>
public sealed record LayoutFile(string Member, string Path, string Mode)
{
    public string MemberFor(string arch) => Member.Replace("{arch}", arch, StringComparison.Ordinal);

    public int UnixMode => Convert.ToInt32(Mode, 8);
}

public sealed record Artifact(string Url, string? Sha256, string? Sha512, string? Source, Signature? Signature)
{
    public bool HasChecksum => Sha256 is not null || Sha512 is not null;
}

/// <summary>A detached OpenPGP signature and the keys (paths relative to pins.yaml) allowed to have made it.</summary>
public sealed record Signature(string Url, IReadOnlyList<string> Keys);

/// <summary>
/// A container image pinned by reference and by digest. <see cref="DigestSource"/> says where the digest came from;
/// <c>tofu</c> (trust on first use) means it was, or will be, taken from the upstream registry over TLS by the first
/// build with internet (<c>tofu 2026-11-29 from registry.k8s.io</c> once recorded).
/// </summary>
public sealed record ImagePin(string Name, string Version, string Ref, string? Digest, string? Source)
{
    public const string TofuMarker = "tofu";

    public string? DigestSource { get; init; }

    /// <summary>The digest is (to be) recorded by trust on first use rather than copied from a published source.</summary>
    public bool IsTofu => DigestSource is { } source && (source == TofuMarker || source.StartsWith(TofuMarker + " ", StringComparison.Ordinal));

    /// <summary><c>ref@digest</c> when the digest is known, else the tag reference.</summary>
    public string PinnedRef => Digest is null ? Ref : $"{Ref}@{Digest}";
}
