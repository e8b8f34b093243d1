using KubeAirgap.Bundle.Manifests;
using KubeAirgap.Cluster;
using KubeAirgap.Pins;
using KubeAirgap.Roles;

namespace KubeAirgap.Bundle;

/// <summary>Everything Bundle reads, and where it writes.</summary>
public sealed record BundleRequest(
    ClusterSpec Spec,
    PinsFile Pins,
    Func<string, string> PayloadDir,
    Func<string, string> NodeTreeDir,
    string InstallerDir,
    string OutputDir,
    string PayloadCacheDir,
    long SourceDateEpoch,
    int CompressionLevel = 6,
    int Parallelism = 2,
    BundleSigner? Signer = null)
{
    public const string ManifestName = "bundle-manifest.json";
    public const string SbomName = "sbom.spdx.json";
    public const string SumsName = "SHA256SUMS";

    public const string VerifyScriptName = "verify-bundle.sh";

    /// <summary>The cluster's membership for this build (state/&lt;cluster&gt;/members.json brought to the spec by
    /// <see cref="Day2.Membership.Next"/>); null: derived from the previous bundle-manifest.json alone.</summary>
    public Day2.Membership? Members { get; init; }

    /// <summary>Self-contained node tarballs (the default), or fleet: payload tarballs plus small node tarballs that pin them.</summary>
    public BundleLayout Layout { get; init; } = BundleLayout.SelfContained;

    /// <summary>Where Bundle keeps the sha256 of its inputs and outputs between builds (<see cref="Content.FileDigestCache"/>,
    /// e.g. <c>state/&lt;cluster&gt;/bundle-digests.tsv</c>), so a rebuild reads no unchanged file; null: every file is read.</summary>
    public string? DigestCacheFile { get; init; }

    /// <summary>The renewal record of the Pki run these node trees come from (recorded in bundle-manifest.json).</summary>
    public KubeAirgap.Pki.PkiRenewalRecord? PkiRenewal { get; init; }

    /// <summary>The public key beside the tarballs, e.g. <c>prod-bundle-signing.pub</c> (what installs take as --pubkey).</summary>
    public static string PublicKeyName(ClusterSpec spec) => $"{spec.Name}-bundle-signing.pub";

    /// <summary>Every bundle set is signed (issue 15, finding 3): a request without a signer is a programming error.</summary>
    public BundleSigner SignerOrThrow => Signer ?? throw new InvalidOperationException("Bundle signs every bundle set: BundleRequest.Signer is required");

    public static string TarballName(ClusterSpec spec, NodeSpec node) => $"{spec.Name}-{node.Name}-{node.Arch}.tar.gz";

    public static string TopDir(ClusterSpec spec, NodeSpec node) => $"{spec.Name}-{node.Name}";

    /// <summary>The fleet layout's payload tarball of <paramref name="key"/>, beside the node tarballs: its directory's name
    /// plus <c>.tar.gz</c>, e.g. <c>prod-payload-amd64-etcd.control-plane.worker.tar.gz</c>.</summary>
    public static string PayloadTarballName(ClusterSpec spec, Layout.PayloadKey key) => PayloadTopDir(spec, key) + ".tar.gz";

    /// <summary>The directory next to the node's in every tarball of <paramref name="key"/>, holding the shared bin/ and images/,
    /// e.g. <c>prod-payload-amd64-etcd.control-plane.worker</c>.</summary>
    public static string PayloadTopDir(ClusterSpec spec, Layout.PayloadKey key) =>
        $"{spec.Name}-payload-{key.Arch}-{string.Join('.', key.Roles.Select(r => r.Name()))}";
}
