using System.Text.Json.Serialization;
using KubeAirgap.Bundle.Tar;
using KubeAirgap.Render.Versions;

namespace KubeAirgap.Bundle.Manifests;

/// <summary>One file in a bundle, as listed in manifest.json and bundle-manifest.json.</summary>
public sealed record ManifestFile(string Path, string? NodePath, string Sha256, long Size, string Mode, bool Secret);

public sealed record KubeNginxInfo(string? Version, string? Glibc, string? Sha256);

/// <summary>manifest.json inside a node bundle.</summary>
public sealed record NodeManifest(
    int SchemaVersion,
    string Cluster,
    string Node,
    string Ip,
    string Arch,
    IReadOnlyList<string> Roles,
    string PayloadKey,
    string KubernetesVersion,
    string VersionDir,
    IReadOnlyDictionary<string, string> Versions,
    IReadOnlyList<string> Images,
    bool CaKeyOnNodes,
    KubeNginxInfo KubeNginx,
    long SourceDateEpoch,
    IReadOnlyList<ManifestFile> Files,
    PayloadArchive? Payload = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TestBundleStamp? TestBundle = null);

/// <summary>One node in bundle-manifest.json: the tarball and every file in it; <c>Inputs</c> is the sha256 of
/// everything that decides the tarball's bytes (a later build with the same value keeps the tarball).</summary>
public sealed record BundleNode(
    string Name,
    string Ip,
    string Arch,
    IReadOnlyList<string> Roles,
    string PayloadKey,
    string Bundle,
    string Sha256,
    long Size,
    IReadOnlyList<string> Images,
    string? KubeNginxGlibc,
    string Inputs,
    IReadOnlyList<ManifestFile> Files);

/// <summary>bundle-manifest.json next to the tarballs. <c>CaFingerprint</c> is the sha256 of the cluster CA's DER
/// (pki/ca.crt): the cluster's identity, which Pki checks before it would create new CAs. <c>Pki</c> is the Pki run's
/// renewal record (clock override, forced names, re-issued leaves; docs/pki.md "Renewal"). <c>Members</c> is the
/// membership this set was built for (joined etcd members, removed nodes): what the next build's Plan diffs against.
/// <c>Layout</c> is <c>self-contained</c> or <c>fleet</c>; with fleet, <c>Payloads</c> lists the payload tarballs the
/// node tarballs pin (empty otherwise). <c>TestBundle</c> is present only on a test bundle (built with the test-only
/// RelaxSupportedVersions; install.sh refuses it without --test-bundle).</summary>
public sealed record BundleSetManifest(
    int SchemaVersion,
    string Cluster,
    string KubernetesVersion,
    IReadOnlyDictionary<string, string> Versions,
    bool CaKeyOnNodes,
    long SourceDateEpoch,
    IReadOnlyList<BundleNode> Nodes,
    string? CaFingerprint = null,
    KubeAirgap.Pki.PkiRenewalRecord? Pki = null,
    Day2.Membership? Members = null,
    string Layout = BundleLayouts.SelfContainedName,
    IReadOnlyList<PayloadArchive>? Payloads = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TestBundleStamp? TestBundle = null);

public static class BundleSetManifests
{
    /// <summary>The cluster as this bundle set saw it (its nodes and the removed nodes it carried): what Day2's
    /// membership and node changes compare the next build with.</summary>
    public static Day2.NodeChanges.World ToWorld(this BundleSetManifest manifest) =>
        new(manifest.Nodes.Select(n => new Day2.NodeChanges.Peer(n.Name, n.Ip, n.Roles)).ToList(),
            manifest.Members?.Removed.Select(r => r.Name).ToList() ?? []);
}
