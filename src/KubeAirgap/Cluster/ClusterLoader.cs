using KubeAirgap.Diagnostics;
using KubeAirgap.Roles;
using KubeAirgap.Yaml;
using YamlDotNet.RepresentationModel;

namespace KubeAirgap.Cluster;

/// <summary>Reads cluster.yaml into a <see cref="ClusterSpec"/>, reporting unknown fields and bad types with their location.</summary>
public static class ClusterLoader
{
    /// <param name="displayName">the path as the user gave it, shown in diagnostics (default: the file name)</param>
    public static ClusterSpec? Load(string path, DiagnosticBag diagnostics, string? displayName = null) =>
        Read(YamlSource.Load(path, diagnostics, displayName), diagnostics, Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".");

    public static ClusterSpec? Parse(string text, DiagnosticBag diagnostics, string name = "cluster.yaml") =>
        Read(YamlSource.Parse(text, name, diagnostics), diagnostics, Directory.GetCurrentDirectory());

    /// <summary>Loads and validates; throws <see cref="InputException"/> listing every error.</summary>
    public static ClusterSpec LoadValid(string path, Pins.PinsFile? pins = null)
    {
        var diagnostics = new DiagnosticBag();
        var spec = Load(path, diagnostics);
        if (spec is not null)
        {
            diagnostics.AddRange(ClusterValidator.Validate(spec, pins));
        }

        diagnostics.ThrowIfErrors(path);
        return spec!;
    }

    private static ClusterSpec? Read(YamlSource source, DiagnosticBag diagnostics, string baseDir)
    {
        if (source.Root is null)
        {
            if (!diagnostics.HasErrors)
            {
                diagnostics.Add(new Diagnostic(Severity.Error, source.File, 0, 0, string.Empty, "the file is empty"));
            }

            return null;
        }

        var sources = new Dictionary<string, Location>(StringComparer.Ordinal);
        var root = source.RootMap(diagnostics);

        string? Str(YamlMap map, string key, bool required = false, string? fallback = null)
        {
            sources[map.Child(key)] = map.LocationOf(key);
            return map.String(key, required, fallback);
        }

        int Int(YamlMap map, string key, int fallback)
        {
            sources[map.Child(key)] = map.LocationOf(key);
            return map.Int(key, fallback: fallback) ?? fallback;
        }

        var apiVersion = Str(root, "apiVersion");
        if (apiVersion is not null and not "kube-airgap/v1")
        {
            root.Error(root.LocationOf("apiVersion"), $"'{apiVersion}' is not supported (expected kube-airgap/v1)");
        }

        var cluster = root.Map("cluster", required: true);
        var name = Str(cluster, "name", required: true) ?? string.Empty;
        var version = Str(cluster, "kubernetesVersion", required: true) ?? string.Empty;
        var domain = Str(cluster, "clusterDomain", fallback: "cluster.local")!;
        cluster.Done();

        var net = root.Map("network");
        var defaults = new NetworkSpec();
        var nodePortAddresses = net.Strings("nodePortAddresses");
        foreach (var a in nodePortAddresses)
        {
            sources[a.Location.Path] = a.Location;
        }

        var network = new NetworkSpec
        {
            ServiceCidr = Str(net, "serviceCidr", fallback: defaults.ServiceCidr)!,
            PodCidr = Str(net, "podCidr", fallback: defaults.PodCidr)!,
            NodePortRange = Str(net, "nodePortRange", fallback: defaults.NodePortRange)!,
            DnsServiceIp = Str(net, "dnsServiceIp"),
            ProxyMode = Str(net, "proxyMode", fallback: defaults.ProxyMode)!,
            CalicoIpAutodetection = Str(net, "calicoIpAutodetection", fallback: defaults.CalicoIpAutodetection)!,
            NodePortAddresses = nodePortAddresses.Select(a => a.Value).ToList(),
        };
        net.Done();

        var api = root.Map("apiserver");
        var apiDefaults = new ApiServerSpec();
        var extraSans = api.Strings("extraSans");
        foreach (var san in extraSans)
        {
            sources[san.Location.Path] = san.Location;
        }

        var apiServer = new ApiServerSpec
        {
            SecurePort = Int(api, "securePort", apiDefaults.SecurePort),
            LocalProxyPort = Int(api, "localProxyPort", apiDefaults.LocalProxyPort),
            ExtraSans = extraSans.Select(s => s.Value).ToList(),
        };
        api.Done();

        var p = root.Map("paths");
        var pathDefaults = new PathsSpec();
        var paths = new PathsSpec
        {
            Prefix = Str(p, "prefix", fallback: pathDefaults.Prefix)!,
            EtcdDataDir = Str(p, "etcdDataDir", fallback: pathDefaults.EtcdDataDir)!,
            EtcdWalDir = Str(p, "etcdWalDir", fallback: pathDefaults.EtcdWalDir)!,
            K8sDir = Str(p, "k8sDir", fallback: pathDefaults.K8sDir)!,
            ContainerdDir = Str(p, "containerdDir", fallback: pathDefaults.ContainerdDir)!,
            KubeletDir = Str(p, "kubeletDir"),
        };
        p.Done();

        var k = root.Map("pki");
        var pkiDefaults = new PkiSpec();
        sources[k.Child("caKeyOnNodes")] = k.LocationOf("caKeyOnNodes");
        var pki = new PkiSpec
        {
            KeyAlgorithm = Str(k, "keyAlgorithm", fallback: pkiDefaults.KeyAlgorithm)!,
            CaValidityDays = Int(k, "caValidityDays", pkiDefaults.CaValidityDays),
            LeafValidityDays = Int(k, "leafValidityDays", pkiDefaults.LeafValidityDays),
            RenewBeforeDays = Int(k, "renewBeforeDays", pkiDefaults.RenewBeforeDays),
            CaKeyOnNodes = k.Bool("caKeyOnNodes", pkiDefaults.CaKeyOnNodes) ?? true,
        };
        k.Done();

        var img = root.Map("images");
        var extra = img.Strings("extra");
        foreach (var e in extra)
        {
            sources[e.Location.Path] = e.Location;
        }

        img.Done();

        var dnsMap = root.Map("dns");
        var upstreams = Located(dnsMap.Strings("upstreams"), sources);
        dnsMap.Done();

        var addonsMap = root.Map("addons");
        var addonsExtra = Located(addonsMap.Strings("extra"), sources);
        addonsMap.Done();

        var etcd = EtcdSection.Read(root.Map("etcd"), sources);

        sources["nodes"] = root.LocationOf("nodes");
        var nodes = root.Maps("nodes", required: true).Select(n => ReadNode(n, sources, diagnostics)).ToList();
        root.Done();

        return new ClusterSpec
        {
            Name = name,
            KubernetesVersion = version,
            ClusterDomain = domain,
            Network = network,
            ApiServer = apiServer,
            Paths = paths,
            Pki = pki,
            Images = new ImagesSpec { Extra = extra.Select(e => e.Value).ToList() },
            Dns = new DnsSpec { Upstreams = upstreams },
            Addons = new AddonsSpec { Extra = addonsExtra, BaseDir = baseDir },
            Etcd = etcd,
            Nodes = nodes,
            Sources = sources,
        };
    }

    private static List<string> Located(List<(string Value, Location Location)> items, Dictionary<string, Location> sources)
    {
        foreach (var (_, location) in items)
        {
            sources[location.Path] = location;
        }

        return items.Select(i => i.Value).ToList();
    }

    private static NodeSpec ReadNode(YamlMap node, Dictionary<string, Location> sources, DiagnosticBag diagnostics)
    {
        foreach (var key in new[] { "name", "ip", "arch", "roles" })
        {
            sources[node.Child(key)] = node.LocationOf(key);
        }

        sources[node.Path] = node.Location;
        var name = node.String("name", required: true) ?? string.Empty;
        var ip = node.String("ip", required: true) ?? string.Empty;
        var arch = node.String("arch", fallback: "amd64")!;
        var roles = new HashSet<NodeRole>();
        foreach (var (value, location) in node.Strings("roles", required: true))
        {
            sources[location.Path] = location;
            if (NodeRoles.ByName.TryGetValue(value, out var role))
            {
                roles.Add(role);
            }
            else
            {
                diagnostics.Add(location.Error($"unknown role '{value}'{Suggestion.DidYouMean(value, NodeRoles.ByName.Keys)} (expected one of: {string.Join(", ", NodeRoles.ByName.Keys)})"));
            }
        }

        node.Done();
        return new NodeSpec(name, ip, arch, roles);
    }
}
