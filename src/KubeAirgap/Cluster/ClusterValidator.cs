using System.Net;
using System.Text.RegularExpressions;
using KubeAirgap.Diagnostics;
using KubeAirgap.ImageRefs;
using KubeAirgap.Net;
using KubeAirgap.Pins;
using KubeAirgap.Roles;
using NuGet.Versioning;

namespace KubeAirgap.Cluster;

/// <summary>Every rule the inventory must satisfy; all problems are returned at once, each with its location.</summary>
public static partial class ClusterValidator
{
    public static readonly IReadOnlySet<string> Arches = new HashSet<string>(StringComparer.Ordinal) { "amd64", "arm64" };
    public static readonly IReadOnlySet<string> ProxyModes = new HashSet<string>(StringComparer.Ordinal) { "ipvs", "nftables", "iptables" };
    public static readonly IReadOnlySet<string> KeyAlgorithms = new HashSet<string>(StringComparer.Ordinal) { "rsa-2048", "rsa-3072", "rsa-4096", "ecdsa-p256", "ecdsa-p384" };

    /// <summary>kube-proxy's ipvs mode is deprecated from this Kubernetes version on.</summary>
    public static readonly NuGetVersion IpvsDeprecatedSince = new(1, 35, 0);

    public static IReadOnlyList<Diagnostic> Validate(ClusterSpec spec, PinsFile? pins = null)
    {
        var d = new List<Diagnostic>();
        CheckCluster(spec, d);
        CheckNodes(spec, d);
        var (service, pod) = CheckNetwork(spec, d);
        CheckServiceIps(spec, service, d);
        CheckNodeIpsOutsideCidrs(spec, service, pod, d);
        CheckApiServer(spec, d);
        CheckPaths(spec, d);
        CheckPki(spec, d);
        CheckImages(spec, d);
        CheckDns(spec, d);
        CheckAddons(spec, d);
        EtcdSection.Check(spec, d);
        if (pins is not null)
        {
            CheckPins(spec, pins, d);
        }

        return d;
    }

    private static void CheckCluster(ClusterSpec spec, List<Diagnostic> d)
    {
        if (spec.Name.Length > 0 && !Dns1123Label().IsMatch(spec.Name))
        {
            d.Add(spec.At("cluster.name").Error($"'{spec.Name}' is not a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters)"));
        }

        if (spec.KubernetesVersion.Length > 0 && !NuGetVersion.TryParse(spec.KubernetesVersion.TrimStart('v'), out _))
        {
            d.Add(spec.At("cluster.kubernetesVersion").Error($"'{spec.KubernetesVersion}' is not a version such as 1.36.3"));
        }

        if (!Dns1123Subdomain().IsMatch(spec.ClusterDomain))
        {
            d.Add(spec.At("cluster.clusterDomain").Error($"'{spec.ClusterDomain}' is not a DNS-1123 domain"));
        }
    }

    private static void CheckNodes(ClusterSpec spec, List<Diagnostic> d)
    {
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        var ips = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < spec.Nodes.Count; i++)
        {
            var node = spec.Nodes[i];
            var path = $"nodes[{i}]";
            if (node.Name.Length > 0 && !Dns1123Subdomain().IsMatch(node.Name))
            {
                d.Add(spec.At($"{path}.name").Error($"'{node.Name}' is not a DNS-1123 name (lower-case letters, digits, '-' and '.')"));
            }
            else if (node.Name.Length > 0 && !names.TryAdd(node.Name, i))
            {
                d.Add(spec.At($"{path}.name").Error($"'{node.Name}' is already the name of nodes[{names[node.Name]}]"));
            }

            if (node.Ip.Length > 0)
            {
                if (!IPAddress.TryParse(node.Ip, out var address) || address.ToString() != node.Ip.ToLowerInvariant().Trim())
                {
                    d.Add(spec.At($"{path}.ip").Error($"'{node.Ip}' is not an IPv4 or IPv6 address"));
                }
                else if (!ips.TryAdd(address.ToString(), i))
                {
                    d.Add(spec.At($"{path}.ip").Error($"'{node.Ip}' is already the address of nodes[{ips[address.ToString()]}]"));
                }
            }

            if (!Arches.Contains(node.Arch))
            {
                d.Add(spec.At($"{path}.arch").Error($"'{node.Arch}' is not a supported arch ({string.Join(", ", Arches)})"));
            }

            if (node.Roles.Count == 0)
            {
                d.Add(spec.At($"{path}.roles").Error("a node needs at least one role (etcd, control-plane, worker)"));
            }
        }

        if (spec.Nodes.Count == 0)
        {
            d.Add(spec.At("nodes").Error("the cluster has no nodes"));
            return;
        }

        if (!spec.Nodes.Any(n => n.Has(NodeRole.ControlPlane)))
        {
            d.Add(spec.At("nodes").Error("no node has the control-plane role"));
        }

        var etcd = spec.Nodes.Count(n => n.Has(NodeRole.Etcd));
        if (etcd == 0)
        {
            d.Add(spec.At("nodes").Error("no node has the etcd role"));
        }
        else if (etcd % 2 == 0)
        {
            d.Add(spec.At("nodes").Warning($"{etcd} etcd members tolerate no more failures than {etcd - 1}; use an odd count"));
        }
    }

    private static (Cidr? Service, Cidr? Pod) CheckNetwork(ClusterSpec spec, List<Diagnostic> d)
    {
        var network = spec.Network;
        Cidr? service = null;
        Cidr? pod = null;
        if (!Cidr.TryParse(network.ServiceCidr, out service))
        {
            d.Add(spec.At("network.serviceCidr").Error($"'{network.ServiceCidr}' is not a CIDR such as 10.254.0.0/16"));
        }

        if (!Cidr.TryParse(network.PodCidr, out pod))
        {
            d.Add(spec.At("network.podCidr").Error($"'{network.PodCidr}' is not a CIDR such as 172.30.0.0/16"));
        }

        if (service is not null && pod is not null && service.Overlaps(pod))
        {
            d.Add(spec.At("network.podCidr").Error($"{pod} overlaps the service CIDR {service}"));
        }

        for (var i = 0; i < network.NodePortAddresses.Count; i++)
        {
            if (!Cidr.TryParse(network.NodePortAddresses[i], out _))
            {
                d.Add(spec.At($"network.nodePortAddresses[{i}]").Error($"'{network.NodePortAddresses[i]}' is not a CIDR such as 10.0.0.0/24"));
            }
        }

        var range = network.NodePortRange.Split('-');
        if (range.Length != 2 || !int.TryParse(range[0], out var low) || !int.TryParse(range[1], out var high)
            || low < 1 || high > 65535 || low >= high)
        {
            d.Add(spec.At("network.nodePortRange").Error($"'{network.NodePortRange}' is not a port range such as 30000-32767"));
        }

        if (!CalicoAutodetection().IsMatch(network.CalicoIpAutodetection))
        {
            d.Add(spec.At("network.calicoIpAutodetection").Error($"'{network.CalicoIpAutodetection}' is not a Calico IP autodetection method (kubernetes-internal-ip, first-found, can-reach=<addr>, interface=<regex>, skip-interface=<regex>, cidr=<cidr>[,<cidr>])"));
        }

        if (!ProxyModes.Contains(network.ProxyMode))
        {
            d.Add(spec.At("network.proxyMode").Error($"'{network.ProxyMode}' is not a kube-proxy mode ({string.Join(", ", ProxyModes)})"));
        }
        else if (network.ProxyMode == "ipvs" && NuGetVersion.TryParse(spec.KubernetesVersion.TrimStart('v'), out var version)
            && version >= IpvsDeprecatedSince)
        {
            d.Add(spec.At("network.proxyMode").Warning("ipvs mode is deprecated since Kubernetes 1.35; prefer nftables"));
        }

        return (service, pod);
    }

    private static void CheckServiceIps(ClusterSpec spec, Cidr? service, List<Diagnostic> d)
    {
        if (service is null)
        {
            return;
        }

        if (service.PrefixLength > (service.Network.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 29 : 125))
        {
            d.Add(spec.At("network.serviceCidr").Error($"{service} is too small for the kubernetes and DNS service addresses"));
            return;
        }

        if (spec.Network.DnsServiceIp is { } dns)
        {
            if (!IPAddress.TryParse(dns, out var address))
            {
                d.Add(spec.At("network.dnsServiceIp").Error($"'{dns}' is not an IPv4 or IPv6 address"));
            }
            else if (!service.Contains(address))
            {
                d.Add(spec.At("network.dnsServiceIp").Error($"{dns} is not inside the service CIDR {service}"));
            }
            else if (address.Equals(service.Nth(1)))
            {
                d.Add(spec.At("network.dnsServiceIp").Error($"{dns} is the kubernetes service address; pick another"));
            }
        }
    }

    private static void CheckNodeIpsOutsideCidrs(ClusterSpec spec, Cidr? service, Cidr? pod, List<Diagnostic> d)
    {
        for (var i = 0; i < spec.Nodes.Count; i++)
        {
            if (!IPAddress.TryParse(spec.Nodes[i].Ip, out var address))
            {
                continue;
            }

            foreach (var (cidr, what) in new[] { (service, "service"), (pod, "pod") })
            {
                if (cidr is not null && cidr.Contains(address))
                {
                    d.Add(spec.At($"nodes[{i}].ip").Error($"{address} is inside the {what} CIDR {cidr}"));
                }
            }
        }
    }

    private static void CheckApiServer(ClusterSpec spec, List<Diagnostic> d)
    {
        var api = spec.ApiServer;
        foreach (var (port, path) in new[] { (api.SecurePort, "apiserver.securePort"), (api.LocalProxyPort, "apiserver.localProxyPort") })
        {
            if (port is < 1 or > 65535)
            {
                d.Add(spec.At(path).Error($"{port} is not a TCP port (1-65535)"));
            }
        }

        if (api.SecurePort == api.LocalProxyPort)
        {
            d.Add(spec.At("apiserver.localProxyPort").Error($"kube-nginx cannot listen on the apiserver's own port {api.SecurePort}"));
        }

        for (var i = 0; i < api.ExtraSans.Count; i++)
        {
            var san = api.ExtraSans[i];
            if (!IPAddress.TryParse(san, out _) && !Dns1123Subdomain().IsMatch(san.StartsWith("*.", StringComparison.Ordinal) ? san[2..] : san))
            {
                d.Add(spec.At($"apiserver.extraSans[{i}]").Error($"'{san}' is neither an IP address nor a DNS name"));
            }
        }
    }

    private static void CheckPaths(ClusterSpec spec, List<Diagnostic> d)
    {
        var paths = spec.Paths;
        CheckDataPaths(spec, d);
        if (paths.EtcdDataDir == paths.EtcdWalDir)
        {
            d.Add(spec.At("paths.etcdWalDir").Error("the etcd WAL directory must differ from the data directory"));
        }
    }

    private static void CheckPki(ClusterSpec spec, List<Diagnostic> d)
    {
        var pki = spec.Pki;
        if (!KeyAlgorithms.Contains(pki.KeyAlgorithm))
        {
            d.Add(spec.At("pki.keyAlgorithm").Error($"'{pki.KeyAlgorithm}' is not one of {string.Join(", ", KeyAlgorithms)}"));
        }

        if (pki.CaValidityDays < 1)
        {
            d.Add(spec.At("pki.caValidityDays").Error("must be at least 1 day"));
        }

        if (pki.LeafValidityDays < 1)
        {
            d.Add(spec.At("pki.leafValidityDays").Error("must be at least 1 day"));
        }
        else if (pki.LeafValidityDays > pki.CaValidityDays)
        {
            d.Add(spec.At("pki.leafValidityDays").Error($"{pki.LeafValidityDays} days outlives the CA ({pki.CaValidityDays} days)"));
        }

        if (pki.RenewBeforeDays < 0 || pki.RenewBeforeDays >= pki.LeafValidityDays)
        {
            d.Add(spec.At("pki.renewBeforeDays").Error($"must be between 0 and the leaf validity ({pki.LeafValidityDays} days)"));
        }
    }

    private static void CheckImages(ClusterSpec spec, List<Diagnostic> d)
    {
        for (var i = 0; i < spec.Images.Extra.Count; i++)
        {
            var reference = spec.Images.Extra[i];
            if (!ImageReference.TryParse(reference, out _))
            {
                d.Add(spec.At($"images.extra[{i}]").Error(ImageReference.NotAReference(reference)));
            }
            else if (!reference.Contains("@sha256:", StringComparison.Ordinal))
            {
                d.Add(spec.At($"images.extra[{i}]").Warning($"'{reference}' is not pinned by digest; a tag can move between builds"));
            }
        }
    }

    private static void CheckDns(ClusterSpec spec, List<Diagnostic> d)
    {
        for (var i = 0; i < spec.Dns.Upstreams.Count; i++)
        {
            var upstream = spec.Dns.Upstreams[i];
            if (!IPAddress.TryParse(upstream, out var address) || address.ToString() != upstream.ToLowerInvariant().Trim())
            {
                d.Add(spec.At($"dns.upstreams[{i}]").Error($"'{upstream}' is not an IPv4 or IPv6 address (CoreDNS forwards to the site's DNS servers by address)"));
            }
            else if (IPAddress.IsLoopback(address))
            {
                d.Add(spec.At($"dns.upstreams[{i}]").Error($"{upstream} is a loopback address: inside a CoreDNS pod it is CoreDNS itself (a forwarding loop); give the site's DNS servers"));
            }
        }
    }

    private static void CheckAddons(ClusterSpec spec, List<Diagnostic> d)
    {
        for (var i = 0; i < spec.Addons.Extra.Count; i++)
        {
            var path = spec.Addons.Extra[i];
            var full = Path.GetFullPath(path, spec.Addons.BaseDir);
            if (!File.Exists(full) && !Directory.Exists(full))
            {
                d.Add(spec.At($"addons.extra[{i}]").Error($"'{path}' does not exist (resolved to {full}; relative paths start at cluster.yaml's directory)"));
            }
            else if (File.Exists(full) && Path.GetExtension(full) is not (".yaml" or ".yml"))
            {
                d.Add(spec.At($"addons.extra[{i}]").Error($"'{path}' is not a .yaml or .yml file (or a directory of them)"));
            }
        }

        if (d.Any(x => x.Severity == Severity.Error && x.Path.StartsWith("addons.extra", StringComparison.Ordinal)))
        {
            return;
        }

        foreach (var use in UserAddonFiles.Images(spec))
        {
            if (!ImageReference.TryParse(use.Reference, out _))
            {
                d.Add(new Diagnostic(Severity.Error, use.File, use.Line, 1, "addons.extra", ImageReference.NotAReference(use.Reference)));
            }
            else if (!use.Reference.Contains("@sha256:", StringComparison.Ordinal))
            {
                d.Add(new Diagnostic(Severity.Warning, use.File, use.Line, 1, "addons.extra", $"'{use.Reference}' is not pinned by digest; a tag can move between builds (it is bundled as found at build time)"));
            }
        }
    }

    private static void CheckPins(ClusterSpec spec, PinsFile pins, List<Diagnostic> d)
    {
        var release = pins.ReleaseFor(spec.KubernetesVersion);
        if (release is null)
        {
            var known = string.Join(", ", pins.Releases.Select(r => r.Kubernetes));
            d.Add(spec.At("cluster.kubernetesVersion").Error($"Kubernetes {spec.KubernetesVersion} has no release entry in the pins file (pinned: {known})"));
            return;
        }

        var reported = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < spec.Nodes.Count; i++)
        {
            var node = spec.Nodes[i];
            foreach (var name in ComponentCatalog.ComponentsFor(node.Roles))
            {
                var version = release.VersionOf(name);
                string? problem = null;
                if (version is null)
                {
                    problem = $"the pins' release {release.Kubernetes} names no version of {name}";
                }
                else if (pins.Find(name, version) is not { } component)
                {
                    problem = $"{name} {version} is not pinned in the pins file";
                }
                else if (component.For(node.Arch) is null)
                {
                    problem = $"{name} {version} has no artifact for {node.Arch}";
                }

                if (problem is not null && reported.Add(problem))
                {
                    d.Add(spec.At($"nodes[{i}].arch").Error(problem));
                }
            }
        }
    }

    /// <summary>The methods calico/node's autodetection accepts (Calico docs, "IP autodetection methods").</summary>
    [GeneratedRegex("^(kubernetes-internal-ip|first-found|(can-reach|interface|skip-interface|cidr)=\\S+)$")]
    private static partial Regex CalicoAutodetection();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex("^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Dns1123Subdomain();
}
