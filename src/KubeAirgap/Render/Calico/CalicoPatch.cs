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

    /// <summary>
    /// Felix's data plane, matched to kube-proxy's mode (felix/config/config_params.go: <c>NFTablesMode</c>
    /// oneof(Enabled,Disabled,Auto)). Calico supports kube-proxy in nftables mode only with its own nftables data plane;
    /// iptables and ipvs modes keep Felix on iptables. Said explicitly rather than left to Auto, whose default and
    /// detection differ between Calico releases.
    /// </summary>
    public string NftablesMode { get; init; } = "Disabled";

    /// <summary>
    /// calico-node's container environment: the guide's edits plus Felix settings (FELIX_ + the upper-cased
    /// parameter name). <c>UsageReportingEnabled</c> defaults to true, which makes every calico-node call
    /// usage.projectcalico.org: off inside the gap.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> NodeEnv =>
    [
        new("CALICO_IPV4POOL_CIDR", PoolCidr),
        new("IP_AUTODETECTION_METHOD", IpAutodetectionMethod),
        new("FELIX_NFTABLESMODE", NftablesMode),
        new("FELIX_USAGEREPORTINGENABLED", "false"),
    ];

    /// <summary>kube-proxy's mode → Felix's NFTablesMode.</summary>
    public static string NftablesModeFor(string proxyMode) => proxyMode == "nftables" ? "Enabled" : "Disabled";

    public static CalicoPatch For(ClusterSpec spec, PinsFile pins, Release release) =>
        new(
            spec.Network.PodCidr,
            spec.Network.CalicoIpAutodetection,
            NodeLayout.CniBinDir,
            NodeLayout.CniConfDir,
            ImagePins.ToDictionary(p => p.Key, p => ModelBuilder.Image(pins, release, p.Value), StringComparer.Ordinal))
        {
            NftablesMode = NftablesModeFor(spec.Network.ProxyMode),
        };
}
