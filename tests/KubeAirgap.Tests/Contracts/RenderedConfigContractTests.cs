using System.Text.RegularExpressions;
using KubeAirgap.Cluster;
using KubeAirgap.Pki.Secrets;
using KubeAirgap.Render;
using KubeAirgap.Render.Versions;
using KubeAirgap.Tests.Render.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Contracts;

/// <summary>
/// Every config document and every Kubernetes unit the build renders, for both pinned Kubernetes versions and
/// every proxy mode, checked against the contract generated from upstream's sources at that version: nested
/// fields included, unknown fields rejected as upstream's strict decoders do, flags the version does not
/// register (or deprecates) refused.
/// </summary>
public sealed class RenderedConfigContractTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var version in new[] { "1.35.7", "1.36.3" })
        {
            foreach (var mode in new[] { "nftables", "iptables", "ipvs" })
            {
                data.Add(version, mode);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Should_render_only_what_the_pinned_release_accepts(string version, string proxyMode)
    {
        // Given: every node of the shipped inventory, at this version and proxy mode
        var contract = new UpstreamContract(version);
        var etcd = new UpstreamContract(ShippedVersion(Versioned.Etcd), "etcd");
        using var temp = new TempDirectory("kag-contract");
        var rendered = RenderAll(version, proxyMode);

        // When
        var documents = new List<string>();
        var kinds = new HashSet<string>(StringComparer.Ordinal);
        var flagErrors = new List<string>();
        var components = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, file) in rendered)
        {
            if (contract.KindOf(file) is { } kind)
            {
                kinds.Add(kind);
                documents.Add(temp.Write(name, file.Content));
            }
            else if (file.Path.EndsWith(".service", StringComparison.Ordinal))
            {
                var (binary, args) = UpstreamContract.ExecStart(file.Content);
                if (UpstreamContract.Components.Contains(binary))
                {
                    components.Add(binary);
                    flagErrors.AddRange(contract.CheckFlags(binary, args).Select(e => $"{name}: {e}"));
                }
                else if (binary == "etcd")
                {
                    components.Add(binary);
                    flagErrors.AddRange(etcd.CheckFlags(binary, args).Select(e => $"{name}: {e}"));
                }
            }
        }

        documents.Add(temp.Write("encryption-config.yaml", EncryptionConfig.Render(new byte[EncryptionConfig.KeyBytes])));
        kinds.Add("EncryptionConfiguration");
        var documentErrors = contract.CheckDocuments(documents);

        // Then
        Assert.True(documentErrors.Count == 0, $"rendered documents break the {version} contract:\n{string.Join('\n', documentErrors)}");
        Assert.True(flagErrors.Count == 0, $"rendered units break the {version} contract:\n{string.Join('\n', flagErrors)}");
        Assert.Equal(UpstreamContract.Components.Append("etcd").Order(StringComparer.Ordinal), components.Order(StringComparer.Ordinal));
        Assert.Superset(new HashSet<string> { "KubeletConfiguration", "KubeProxyConfiguration", "KubeSchedulerConfiguration", "Policy", "EncryptionConfiguration" }, kinds);
    }

    [Theory]
    [InlineData("1.35.7")]
    [InlineData("1.36.3")]
    public void Should_fail_on_a_planted_unknown_nested_field(string version)
    {
        // Given: the rendered kubelet config with one extra field two levels down
        var contract = new UpstreamContract(version);
        using var temp = new TempDirectory("kag-contract");
        var kubelet = RenderAll(version, "nftables").First(f => contract.KindOf(f.File) == "KubeletConfiguration").File.Content;
        var planted = Regex.Replace(kubelet, @"^(  webhook:\n    enabled: true\n)", "$1    cacheTTLSeconds: 120\n", RegexOptions.Multiline);
        Assert.NotEqual(kubelet, planted);
        var clean = temp.Write("clean.yaml", kubelet);
        var path = temp.Write("planted.yaml", planted);

        // When
        var errors = contract.CheckDocuments([clean, path]);

        // Then
        var error = Assert.Single(errors);
        Assert.Contains("planted.yaml", error, StringComparison.Ordinal);
        Assert.Contains("unknown field \"authentication.webhook.cacheTTLSeconds\"", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.35.7")]
    [InlineData("1.36.3")]
    public void Should_fail_on_a_field_no_release_has_that_the_old_hand_written_list_accepted(string version)
    {
        // Given: draManagerReconcilePeriod was in the hand-written kubelet field list, but in no kubelet release
        var contract = new UpstreamContract(version);
        using var temp = new TempDirectory("kag-contract");
        var path = temp.Write("kubelet.yaml", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ndraManagerReconcilePeriod: 60s\n");

        // When / Then
        Assert.Contains("unknown field \"draManagerReconcilePeriod\"", Assert.Single(contract.CheckDocuments([path])), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.35.7")]
    [InlineData("1.36.3")]
    public void Should_fail_on_a_planted_removed_flag(string version)
    {
        // Given: the rendered kubelet unit plus --pod-infra-container-image (removed from the kubelet in 1.35)
        var contract = new UpstreamContract(version);
        var unit = RenderAll(version, "nftables").First(f => f.File.Path.EndsWith("/kubelet.service", StringComparison.Ordinal)).File.Content;
        var (binary, args) = UpstreamContract.ExecStart(unit);
        Assert.Empty(contract.CheckFlags(binary, args));

        // When
        var errors = contract.CheckFlags(binary, [.. args, "--pod-infra-container-image=registry.k8s.io/pause:3.10"]);

        // Then
        Assert.Contains($"unknown flag: --pod-infra-container-image (not a flag of kubelet {version})", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.35.7")]
    [InlineData("1.36.3")]
    public void Should_fail_on_a_kubelet_flag_that_belongs_in_the_config_file(string version)
    {
        // Given: AddKubeletConfigFlags deprecates every flag bound to a KubeletConfiguration field (not -v)
        var contract = new UpstreamContract(version);

        // When
        var errors = contract.CheckFlags("kubelet", ["--cgroup-driver=systemd", "--client-ca-file=/etc/kubernetes/pki/ca.crt", "--v=2"]);

        // Then
        Assert.Equal(2, errors.Count);
        Assert.All(errors, e => Assert.Contains("should be set via the config file", e, StringComparison.Ordinal));
    }

    [Fact]
    public void Should_fail_on_an_etcd_flag_the_pinned_etcd_deprecates()
    {
        // Given: etcd 3.6 renamed --experimental-watch-progress-notify-interval (etcdmain deprecatedFlags)
        var etcd = new UpstreamContract(ShippedVersion(Versioned.Etcd), "etcd");

        // When
        var errors = etcd.CheckFlags("etcd", ["--experimental-watch-progress-notify-interval=5s", "--enable-v2=true"]);

        // Then
        Assert.Equal(2, errors.Count);
        Assert.Contains("deprecated flag: --experimental-watch-progress-notify-interval", errors[0], StringComparison.Ordinal);
        Assert.Contains("unknown flag: --enable-v2", errors[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Should_fail_on_a_flag_the_pinned_release_deprecates()
    {
        // Given: MarkDeprecated("default-watch-cache-size", ...) in kubernetes/apiserver at kubernetes-1.36.3
        var contract = new UpstreamContract("1.36.3");

        // When
        var errors = contract.CheckFlags("kube-apiserver", ["--default-watch-cache-size=100"]);

        // Then
        Assert.Contains("deprecated flag: --default-watch-cache-size", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.35.7", "kube-apiserver", "--admission-control=NodeRestriction")]
    [InlineData("1.36.3", "kube-apiserver", "--admission-control=NodeRestriction")]
    [InlineData("1.36.3", "kube-apiserver", "--enable-logs-handler")]
    [InlineData("1.35.7", "kube-scheduler", "--kubeconfig=/etc/kubernetes/scheduler.conf")]
    [InlineData("1.36.3", "kube-scheduler", "--kubeconfig=/etc/kubernetes/scheduler.conf")]
    [InlineData("1.36.3", "kube-scheduler", "--profiling=false")]
    public void Should_fail_on_a_flag_the_reference_page_marks_deprecated(string version, string component, string flag)
    {
        // Given: "DEPRECATED" on the kubernetes/website reference page (kube-apiserver 1.35, kube-scheduler 1.36) for a
        // flag registered in kubernetes/kubernetes itself, so it reaches the contract only through generate/cmd-flags
        var contract = new UpstreamContract(version);

        // When
        var errors = contract.CheckFlags(component, [flag]);

        // Then
        Assert.Contains($"deprecated flag: {flag.Split('=')[0]}", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.35.7")]
    [InlineData("1.36.3")]
    public void Should_accept_the_kubelet_flags_KubeletFlags_registers_though_a_config_field_shares_their_name(string version)
    {
        // Given: --seccomp-default and --fail-cgroupv1 come from KubeletFlags.AddFlags (no DEPRECATED note on the 1.35
        // kubelet reference page), unlike --cgroup-driver, which AddKubeletConfigFlags registers and deprecates
        var contract = new UpstreamContract(version);

        // When
        var errors = contract.CheckFlags("kubelet", ["--seccomp-default", "--fail-cgroupv1=false", "--cgroup-driver=systemd"]);

        // Then
        Assert.Contains("deprecated flag: --cgroup-driver", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_fail_on_a_flag_only_the_newer_release_registers()
    {
        // Given: --tls-curve-preferences is registered by kubernetes/apiserver at kubernetes-1.36.3, not at 1.35.7
        var older = new UpstreamContract("1.35.7");
        var newer = new UpstreamContract("1.36.3");

        // When / Then
        Assert.Empty(newer.CheckFlags("kube-scheduler", ["--tls-curve-preferences=X25519"]));
        Assert.Contains("unknown flag: --tls-curve-preferences", Assert.Single(older.CheckFlags("kube-scheduler", ["--tls-curve-preferences=X25519"])), StringComparison.Ordinal);
    }

    /// <summary>The version pins.yaml pins for a component (the one its contract must exist for).</summary>
    private static string ShippedVersion(Versioned component)
    {
        var spec = RenderFixture.Parse(File.ReadAllText(Repo.File("cluster.yaml")));
        return new NodeRenderer(spec, RenderFixture.ShippedPins, RenderFixture.Options()).Versions.Versions[component].ToNormalizedString();
    }

    /// <summary>(node/path, file) of every file rendered for every node of the shipped inventory.</summary>
    private static List<(string Name, RenderedFile File)> RenderAll(string version, string proxyMode)
    {
        var yaml = File.ReadAllText(Repo.File("cluster.yaml"));
        yaml = Regex.Replace(yaml, @"(?m)^(\s*kubernetesVersion:\s*)\S+", "${1}" + version);
        yaml = Regex.Replace(yaml, @"(?m)^(\s*proxyMode:\s*)\S+", "${1}" + proxyMode);
        ClusterSpec spec = RenderFixture.Parse(yaml);
        Assert.Equal(version, spec.KubernetesVersion);
        var renderer = new NodeRenderer(spec, RenderFixture.ShippedPins, RenderFixture.Options());
        return spec.Nodes.SelectMany(node => renderer.Render(node).Select(f => ($"{node.Name}/{f.Path}", f))).ToList();
    }
}
