using KubeAirgap.Cluster;
using KubeAirgap.Layout;
using KubeAirgap.Pins;
using KubeAirgap.Render.Model;

namespace KubeAirgap.Render.Calico;

/// <summary>What the Calico release manifest is patched with (the guide's <c>sed</c> edits, as data).</summary>
public sealed record CalicoPatch(
    string PoolCidr,
    string IpAutodetectionMethod,
    string CniBinDir,
    string CniConfDir,
    IReadOnlyDictionary<string, string> Images)
{
    /// <summary>Image repository name in the manifest (last path segment) → pins image name.</summary>
    public static readonly IReadOnlyDictionary<string, string> ImagePins = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["cni"] = "calico-cni",
        ["node"] = "calico-node",
        ["kube-controllers"] = "calico-kube-controllers",
    };

    public static CalicoPatch For(ClusterSpec spec, PinsFile pins, Release release) =>
        new(
            spec.Network.PodCidr,
            spec.Network.CalicoIpAutodetection,
            NodeLayout.CniBinDir,
            NodeLayout.CniConfDir,
            ImagePins.ToDictionary(p => p.Key, p => ModelBuilder.Image(pins, release, p.Value), StringComparer.Ordinal));
}
