using KubeAirgap.Cluster;
using KubeAirgap.Diagnostics;
using KubeAirgap.Layout;
using KubeAirgap.Pins;
using KubeAirgap.Render.Versions;

namespace KubeAirgap.Render.Model;

/// <summary>Computes the <see cref="RenderModel"/> of one node from the inventory, the pins and the version table.</summary>
public static class ModelBuilder
{
    /// <summary>The user the apiserver's kubelet client certificate names (kubeadm's CN, bound in the RBAC add-on).</summary>

    public const string LoopbackAddress = ClusterTopology.LoopbackAddress;

    public static readonly IReadOnlyList<string> ProxyModes = ["ipvs", "nftables", "iptables"];

    /// <summary>The release of <paramref name="spec"/>'s Kubernetes version in <paramref name="pins"/>, or a clear error.</summary>
    public static Release ReleaseOf(ClusterSpec spec, PinsFile pins) =>
        pins.ReleaseFor(spec.KubernetesVersion)
        ?? throw new InputException($"{spec.At("cluster.kubernetesVersion")}: Kubernetes {spec.KubernetesVersion} has no release entry in the pins file (have: {string.Join(", ", pins.Releases.Select(r => r.Kubernetes))})");

    public static ResolvedVersions VersionsOf(ClusterSpec spec, PinsFile pins, bool relaxSupportedVersions = false)
    {
        var resolved = Resolve(spec, pins);
        var unsupported = Unsupported(spec, resolved);
        if (unsupported.Count > 0 && !relaxSupportedVersions)
        {
            var u = unsupported[0];
            throw new InputException($"Kubernetes {u.Kubernetes} needs {u.Component} {u.Minimum} or later, but the pins give {u.Component} {u.Version} (version table row {u.Rule})");
        }

        return resolved;
    }

    /// <summary>
    /// The pinned versions older than <paramref name="spec"/>'s Kubernetes release supports (empty when all are
    /// supported): what only the test-only RelaxSupportedVersions lets through, and what stamps a test bundle.
    /// </summary>
    public static IReadOnlyList<UnsupportedVersion> Unsupported(ClusterSpec spec, PinsFile pins) => Unsupported(spec, Resolve(spec, pins));

    private static ResolvedVersions Resolve(ClusterSpec spec, PinsFile pins)
    {
        var release = ReleaseOf(spec, pins);
        return new ResolvedVersions(new Dictionary<Versioned, string>
        {
            [Versioned.Kubernetes] = spec.KubernetesVersion,
            [Versioned.Etcd] = Component(release, "etcd"),
            [Versioned.Containerd] = Component(release, "containerd"),
        });
    }

    private static List<UnsupportedVersion> Unsupported(ClusterSpec spec, ResolvedVersions resolved)
    {
        const string rule = "containerd.minimumMajor";
        var minimumMajor = int.Parse(resolved.Setting(rule), System.Globalization.CultureInfo.InvariantCulture);
        var containerd = resolved.Versions[Versioned.Containerd];
        return containerd.Major < minimumMajor
            ? [new UnsupportedVersion("containerd", containerd.ToNormalizedString(), $"{minimumMajor}.x", spec.KubernetesVersion, rule)]
            : [];
    }

    /// <summary>Warnings about what the chosen versions deprecate (printed by the Render task).</summary>
    public static IReadOnlyList<string> Warnings(ClusterSpec spec, PinsFile pins, bool relaxSupportedVersions = false)
    {
        var resolved = VersionsOf(spec, pins, relaxSupportedVersions);
        var warnings = new List<string>();
        if (spec.Network.ProxyMode == "ipvs" && resolved.Has("kubeProxy.ipvsDeprecated"))
        {
            warnings.Add($"{spec.At("network.proxyMode")}: kube-proxy mode ipvs is deprecated since Kubernetes 1.35 (KEP-5495); nftables is its replacement");
        }

        return warnings;
    }

    public static RenderModel Build(ClusterSpec spec, PinsFile pins, NodeSpec node, RenderOptions options)
    {
        var topology = new ClusterTopology(spec);
        var release = ReleaseOf(spec, pins);
        var versions = VersionsOf(spec, pins, options.RelaxSupportedVersions);
        var layout = new NodeLayout(spec);
        var paths = new NodePaths(layout, options.NodeRoot);
        var local = options.LocalAddress ?? LoopbackAddress;

        if (!ProxyModes.Contains(spec.Network.ProxyMode))
        {
            throw new InputException($"{spec.At("network.proxyMode")}: '{spec.Network.ProxyMode}' is not a kube-proxy mode ({string.Join(", ", ProxyModes)})");
        }

        var clientUrls = new[] { node.Ip, local }.Distinct(StringComparer.Ordinal)
            .Select(ip => $"https://{ClusterTopology.HostPort(ip, ClusterTopology.EtcdClientPort)}");

        var etcd = new EtcdModel(
            node.Name,
            $"https://{ClusterTopology.HostPort(node.Ip, ClusterTopology.EtcdPeerPort)}",
            $"https://{ClusterTopology.HostPort(node.Ip, ClusterTopology.EtcdClientPort)}",
            string.Join(",", clientUrls),
            $"http://{ClusterTopology.HostPort(local, ClusterTopology.EtcdMetricsPort)}",
            topology.EtcdInitialCluster,
            $"{spec.Name}-etcd",
            options.EtcdJoiners.Contains(node.Name) ? "existing" : "new",
            versions.FlagsFor("etcd"),
            EtcdBackupModel.Of(spec, versions, options.NodeRoot, $"https://{ClusterTopology.HostPort(local, ClusterTopology.EtcdClientPort)}"),
            spec.Etcd.HeartbeatIntervalMs,
            spec.Etcd.ElectionTimeoutMs);

        var controlPlane = new ControlPlaneModel(
            string.Join(",", topology.EtcdEndpoints),
            $"https://kubernetes.default.svc.{spec.ClusterDomain}",
            $"{spec.Pki.LeafValidityDays * 24}h",
            Pki.PkiIdentities.ApiServerKubeletClientUser,
            Pki.PkiIdentities.ClusterAdminsGroup,
            spec.Pki.CaKeyOnNodes,
            Pki.PkiIdentities.NodesGroup);

        var failCgroupV1 = versions.Optional("kubelet.failCgroupV1") is { } f ? bool.Parse(f) : (bool?)null;
        var mode = spec.Network.ProxyMode;

        var cniBinKey = versions.Setting("containerd.cniBinKey");
        var containerd = new ContainerdModel(
            versions.Versions[Versioned.Containerd].ToNormalizedString(),
            Image(pins, release, "pause"),
            cniBinKey,
            cniBinKey == "bin_dirs" ? $"['{paths.CniBinDir}']" : $"'{paths.CniBinDir}'",
            paths.Bin("runc"),
            $"{paths.BinDir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");

        // one table for what a node needs: the installer's layout.env reads the same lists
        var modules = NodeRequirements.Modules(spec, node);
        var sysctls = NodeRequirements.SysctlsOf(node).Select(s => new SysctlModel(s.Key, s.Value)).ToList();

        return new RenderModel(
            new NodeModel(node.Name, node.Ip),
            new ClusterModel(
                spec.Name,
                spec.KubernetesVersion,
                spec.ClusterDomain,
                topology.ClusterDnsIp,
                topology.KubernetesServiceIp,
                spec.Network.ServiceCidr,
                spec.Network.PodCidr,
                spec.Network.NodePortRange,
                spec.ApiServer.SecurePort,
                $"https://{ClusterTopology.HostPort(local, spec.ApiServer.LocalProxyPort)}"),
            paths,
            etcd,
            controlPlane,
            new KubeletModel(failCgroupV1),
            new KubeProxyModel(mode, mode == "ipvs", mode == "nftables", mode == "iptables", spec.Network.NodePortAddresses),
            containerd,
            new KubeNginxModel(ClusterTopology.HostPort(local, spec.ApiServer.LocalProxyPort), topology.ApiServerUpstreams),
            new HostModel(modules, sysctls),
            new AddonsModel(Image(pins, release, "coredns"), Math.Min(2, Math.Max(1, topology.WorkerNodes.Count)), spec.Dns.Upstreams));
    }

    /// <summary>The pinned reference (<c>ref@digest</c> once locked) of <paramref name="name"/> in the release.</summary>
    public static string Image(PinsFile pins, Release release, string name)
    {
        var version = release.Images.GetValueOrDefault(name)
            ?? throw new InputException($"pins: the release for Kubernetes {release.Kubernetes} pins no '{name}' image");
        return (pins.FindImage(name, version)
            ?? throw new InputException($"pins: image '{name}' version {version} (release {release.Kubernetes}) has no entry under images:")).PinnedRef;
    }

    private static string Component(Release release, string name) =>
        release.VersionOf(name) ?? throw new InputException($"pins: the release for Kubernetes {release.Kubernetes} pins no '{name}' version");
}
