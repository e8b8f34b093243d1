using KubeAirgap.Diagnostics;
using static KubeAirgap.Tests.Cluster.InventoryFixture;

namespace KubeAirgap.Tests.Cluster;

public sealed class ClusterValidatorTests
{
    [Fact]
    public void Should_Accept_The_Valid_Inventory()
    {
        var (_, diagnostics) = Check(Valid);

        Assert.Empty(diagnostics);
    }

    [Fact]
    public void Should_Accept_The_Shipped_Cluster_Yaml_With_The_Shipped_Pins()
    {
        var result = KubeAirgap.Cluster.InventoryValidation.Run(Support.Repo.File("cluster.yaml"), Support.Repo.File("pins.yaml"));

        Assert.False(result.Diagnostics.HasErrors, string.Join("\n", result.Diagnostics.Items));
    }

    [Theory]
    // rule, replaced text, replacement, expected "line:col path" and message fragment
    [InlineData("ip", "ip: 192.168.93.47", "ip: 192.168.93.300", "27:9 nodes[2].ip", "'192.168.93.300' is not an IPv4 or IPv6 address")]
    [InlineData("unknown field", "  proxyMode: nftables", "  proxyMode: nftables\n  bogus: 1", "11:3 network.bogus", "unknown field")]
    [InlineData("required", "  kubernetesVersion: 1.36.3\n", "", "3:3 cluster", "required field 'cluster.kubernetesVersion' is missing")]
    [InlineData("dns-1123 name", "name: k8s-02", "name: K8S_02", "22:11 nodes[1].name", "not a DNS-1123 name")]
    [InlineData("unique name", "name: k8s-02", "name: k8s-01", "22:11 nodes[1].name", "already the name of nodes[0]")]
    [InlineData("unique ip", "ip: 192.168.93.46", "ip: 192.168.93.45", "23:9 nodes[1].ip", "already the address of nodes[0]")]
    [InlineData("cidr parses", "serviceCidr: 10.254.0.0/16", "serviceCidr: 10.254.0.0/33", "7:16 network.serviceCidr", "is not a CIDR")]
    [InlineData("cidrs overlap", "podCidr: 172.30.0.0/16", "podCidr: 10.254.128.0/17", "8:12 network.podCidr", "overlaps the service CIDR")]
    [InlineData("node ip in cidr", "ip: 192.168.93.45", "ip: 172.30.1.5", "19:9 nodes[0].ip", "inside the pod CIDR")]
    [InlineData("dns ip in service cidr", "  proxyMode: nftables", "  proxyMode: nftables\n  dnsServiceIp: 10.99.0.2", "11:17 network.dnsServiceIp", "not inside the service CIDR")]
    [InlineData("node port range", "nodePortRange: 30000-32767", "nodePortRange: 32767-30000", "9:18 network.nodePortRange", "not a port range")]
    [InlineData("proxy mode", "proxyMode: nftables", "proxyMode: userspace", "10:14 network.proxyMode", "not a kube-proxy mode")]
    [InlineData("arch", "arch: amd64\n    roles: [etcd, control-plane, worker]\n  - name: k8s-03", "arch: s390x\n    roles: [etcd, control-plane, worker]\n  - name: k8s-03", "24:11 nodes[1].arch", "not a supported arch")]
    [InlineData("role", "roles: [etcd, control-plane, worker]\n  - name: k8s-02", "roles: [etcd, master, worker]\n  - name: k8s-02", "21:19 nodes[0].roles[1]", "unknown role 'master'")]
    [InlineData("extra san", "extraSans: [k8s.example.internal, 10.0.0.10]", "extraSans: [bad_name!, 10.0.0.10]", "14:15 apiserver.extraSans[0]", "neither an IP address nor a DNS name")]
    [InlineData("key algorithm", "keyAlgorithm: rsa-2048", "keyAlgorithm: dsa-1024", "16:17 pki.keyAlgorithm", "is not one of")]
    [InlineData("version in pins", "kubernetesVersion: 1.36.3", "kubernetesVersion: 1.30.0", "4:22 cluster.kubernetesVersion", "has no release entry in the pins file")]
    [InlineData("yaml syntax", "  name: demo", "  name: \"demo", "3:9", "YAML syntax error")]
    [InlineData("dns upstream ip", "pki:\n", "dns:\n  upstreams: [10.0.0.53, ns1.example]\npki:\n", "16:26 dns.upstreams[1]", "'ns1.example' is not an IPv4 or IPv6 address")]
    [InlineData("dns upstream loopback", "pki:\n", "dns:\n  upstreams: [127.0.0.53]\npki:\n", "16:15 dns.upstreams[0]", "is a loopback address")]
    [InlineData("calico autodetection", "  proxyMode: nftables", "  proxyMode: nftables\n  calicoIpAutodetection: eth0", "11:26 network.calicoIpAutodetection", "not a Calico IP autodetection method")]
    [InlineData("kubelet dir", "pki:\n", "paths:\n  kubeletDir: var/lib/kubelet\npki:\n", "16:15 paths.kubeletDir", "must be an absolute path")]
    [InlineData("image grammar", "pki:\n", "images:\n  extra: [registry.example.com/MyApp:1.0]\npki:\n", "16:11 images.extra[0]", "'registry.example.com/MyApp:1.0' is not an image reference")]
    [InlineData("extra addons exist", "pki:\n", "addons:\n  extra: [./no-such-manifests]\npki:\n", "16:11 addons.extra[0]", "'./no-such-manifests' does not exist")]
    public void Should_Report_Each_Rule_With_Line_Column_And_Path(string rule, string from, string to, string where, string message)
    {
        var (_, diagnostics) = Check(With(from, to));

        var match = diagnostics.FirstOrDefault(d => d.Severity == Severity.Error && d.Message.Contains(message, StringComparison.Ordinal));
        Assert.True(match is not null, $"rule '{rule}': no error containing '{message}' in:\n{string.Join("\n", diagnostics)}");
        Assert.Contains($"cluster.yaml:{where}", match!.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    // README: "nodes[].roles: one or more of etcd, control-plane, worker" - every non-empty combination
    [InlineData("etcd")]
    [InlineData("control-plane")]
    [InlineData("worker")]
    [InlineData("etcd, control-plane")]
    [InlineData("etcd, worker")]
    [InlineData("control-plane, worker")]
    [InlineData("etcd, control-plane, worker")]
    public void Should_Accept_Every_Role_Set_The_Readme_Documents(string roles)
    {
        // the third node takes the role set; the first two keep etcd and control-plane, so the cluster stays whole
        var yaml = Valid.Replace("roles: [etcd, control-plane, worker]", "roles: [etcd, control-plane]", StringComparison.Ordinal);
        var lastRoles = yaml.LastIndexOf("roles: [etcd, control-plane]", StringComparison.Ordinal);
        yaml = string.Concat(yaml.AsSpan(0, lastRoles), $"roles: [{roles}]");

        var (_, diagnostics) = Check(yaml);

        Assert.DoesNotContain(diagnostics, d => d.Severity == Severity.Error);
    }

    [Fact]
    public void Should_Refuse_A_Node_Without_Roles()
    {
        var (_, diagnostics) = Check(With("roles: [etcd, control-plane, worker]\n  - name: k8s-02", "roles: []\n  - name: k8s-02"));

        Assert.Contains(diagnostics, d => d.Severity == Severity.Error && d.Message.Contains("at least one role", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_Read_Dns_Upstreams_Kubelet_Dir_And_Extra_Addons_With_Their_Defaults()
    {
        var (defaults, _) = Check(Valid);
        Assert.Empty(defaults!.Dns.Upstreams);
        Assert.Null(defaults.Paths.KubeletDir);
        Assert.Empty(defaults.Addons.Extra);
        Assert.Equal("kubernetes-internal-ip", defaults.Network.CalicoIpAutodetection);

        var (set, diagnostics) = Check(With("pki:\n", "dns:\n  upstreams: [10.0.0.53, fd00::53]\npaths:\n  kubeletDir: /srv/kubelet\npki:\n"));
        Assert.Empty(diagnostics);
        Assert.Equal(["10.0.0.53", "fd00::53"], set!.Dns.Upstreams);
        Assert.Equal("/srv/kubelet", set.Paths.KubeletDir);
    }

    [Fact]
    public void Should_Turn_A_Scanner_Failure_Into_A_Syntax_Error()
    {
        var (spec, diagnostics) = Check(With("  name: demo", "  name: [demo"));

        Assert.Null(spec);
        Assert.Contains(diagnostics, d => d.Message.StartsWith("YAML syntax error", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_Report_Every_Error_At_Once()
    {
        var yaml = With("ip: 192.168.93.47", "ip: 192.168.93.300")
            .Replace("proxyMode: nftables", "proxyMode: userspace", StringComparison.Ordinal)
            .Replace("keyAlgorithm: rsa-2048", "keyAlgorithm: dsa", StringComparison.Ordinal);

        var (_, diagnostics) = Check(yaml);

        Assert.Equal(3, diagnostics.Count(d => d.Severity == Severity.Error));
    }

    [Fact]
    public void Should_Require_A_Control_Plane_And_An_Etcd_Node()
    {
        var yaml = Valid.Replace("roles: [etcd, control-plane, worker]", "roles: [worker]", StringComparison.Ordinal);

        var (_, diagnostics) = Check(yaml);

        Assert.Contains(diagnostics, d => d.Message == "no node has the control-plane role");
        Assert.Contains(diagnostics, d => d.Message == "no node has the etcd role");
    }

    [Fact]
    public void Should_Warn_On_An_Even_Etcd_Count_But_Not_On_An_Odd_One()
    {
        var even = Valid.Replace("roles: [etcd, control-plane, worker]\n  - name: k8s-03", "roles: [control-plane, worker]\n  - name: k8s-03", StringComparison.Ordinal);

        var (_, evenDiagnostics) = Check(even);
        var (_, oddDiagnostics) = Check(Valid);

        Assert.Contains(evenDiagnostics, d => d.Severity == Severity.Warning && d.Message.Contains("2 etcd members", StringComparison.Ordinal));
        Assert.DoesNotContain(evenDiagnostics, d => d.Severity == Severity.Error);
        Assert.DoesNotContain(oddDiagnostics, d => d.Message.Contains("etcd members", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_Warn_That_Ipvs_Is_Deprecated_Since_1_35()
    {
        var (_, diagnostics) = Check(With("proxyMode: nftables", "proxyMode: ipvs"));

        var warning = Assert.Single(diagnostics);
        Assert.Equal(Severity.Warning, warning.Severity);
        Assert.Contains("deprecated since Kubernetes 1.35", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_Report_A_Component_Missing_For_A_Node_Arch()
    {
        // pins have amd64 and arm64; a pins file without arm64 etcd must be caught for an arm64 node
        var pinsText = File.ReadAllText(Support.Repo.File("pins.yaml"));
        var etcdStart = pinsText.IndexOf("- name: etcd", StringComparison.Ordinal);
        var arm = pinsText.IndexOf("    arm64:", etcdStart, StringComparison.Ordinal);
        var next = pinsText.IndexOf("- name:", arm, StringComparison.Ordinal);
        var trimmed = pinsText[..arm] + pinsText[next..];
        var bag = new DiagnosticBag();
        var pins = KubeAirgap.Pins.PinsLoader.Parse(trimmed, bag);
        Assert.False(bag.HasErrors, string.Join("\n", bag.Items));
        var spec = KubeAirgap.Cluster.ClusterLoader.Parse(With("arch: amd64\n    roles: [etcd, control-plane, worker]\n  - name: k8s-02", "arch: arm64\n    roles: [etcd, control-plane, worker]\n  - name: k8s-02"), bag)!;

        var diagnostics = KubeAirgap.Cluster.ClusterValidator.Validate(spec, pins);

        var error = Assert.Single(diagnostics);
        Assert.Contains("etcd 3.6.14 has no artifact for arm64", error.Message, StringComparison.Ordinal);
        Assert.Equal("nodes[0].arch", error.Path);
    }
}
