using KubeAirgap.Cluster;
using KubeAirgap.Pins;

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

    public static string TarballName(ClusterSpec spec, NodeSpec node) => $"{spec.Name}-{node.Name}-{node.Arch}.tar.gz";

    public static string TopDir(ClusterSpec spec, NodeSpec node) => $"{spec.Name}-{node.Name}";

    /// <summary>The directory next to the node's in every tarball of <paramref name="key"/>, holding the shared bin/ and images/,
    /// e.g. <c>prod-payload-amd64-etcd.control-plane.worker</c>.</summary>
    public static string PayloadTopDir(ClusterSpec spec, Layout.PayloadKey key) =>
        $"{spec.Name}-payload-{key.Arch}-{string.Join('.', key.Roles.Select(r => r.Name()))}";
}
