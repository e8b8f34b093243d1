using KubeAirgap.Diagnostics;
using KubeAirgap.Render;
using KubeAirgap.Render.Model;
using KubeAirgap.Render.Versions;
using KubeAirgap.Tests.Render.Fixtures;
using KubeAirgap.Tests.Support;
using NuGet.Versioning;

namespace KubeAirgap.Tests.Render;

public sealed class VersionTableTests
{
    private static readonly string[] Ips = ["10.0.0.1", "10.0.0.2", "10.0.0.3"];

    public sealed class TheKubernetesMinors
    {
        [Fact]
        public void Should_render_the_differences_between_the_two_pinned_minors()
        {
            // Given: the shipped pins, rendered for each pinned Kubernetes release
            var pins = RenderFixture.ShippedPins;
            Assert.Equal(["1.35.7", "1.36.3"], pins.Releases.Select(r => r.Kubernetes).Order(StringComparer.Ordinal));

            // When
            var v136 = Render("1.36.3", pins);
            var v135 = Render("1.35.7", pins);

            // Then: the sandbox and CoreDNS images follow each release's pins
            Assert.Contains("sandbox = 'registry.k8s.io/pause:3.10.2@sha256:", v136.Content("etc/containerd/config.toml"), StringComparison.Ordinal);
            Assert.Contains("sandbox = 'registry.k8s.io/pause:3.10.1@sha256:", v135.Content("etc/containerd/config.toml"), StringComparison.Ordinal);
            Assert.Contains("image: registry.k8s.io/coredns/coredns:v1.14.2", v136.Content("addons/coredns.yaml"), StringComparison.Ordinal);
            Assert.Contains("image: registry.k8s.io/coredns/coredns:v1.12.4", v135.Content("addons/coredns.yaml"), StringComparison.Ordinal);

            // both are >= 1.35: failCgroupV1 is explicit, the removed kubelet flag is absent
            foreach (var files in new[] { v135, v136 })
            {
                Assert.Contains("failCgroupV1: true", files.Content("var/lib/kubelet/config.yaml"), StringComparison.Ordinal);
                Assert.DoesNotContain("--pod-infra-container-image", files.Content("etc/systemd/system/kubelet.service"), StringComparison.Ordinal);
            }

            // and nothing else differs
            var differing = v136.Where(f => v135.Content(f.Path) != f.Content).Select(f => f.Path).Order(StringComparer.Ordinal);
            Assert.Equal(["addons/coredns.yaml", "etc/containerd/config.toml"], differing);
        }

        [Fact]
        public void Should_refuse_containerd_1_x_from_Kubernetes_1_36_and_accept_it_on_1_35()
        {
            // Given: test pins that give both releases containerd 1.6.20
            var pins = RenderFixture.DebianPins;

            // When / Then
            var error = Assert.Throws<InputException>(() => Render("1.36.3", pins));
            Assert.Contains("needs containerd 2.x", error.Message, StringComparison.Ordinal);
            Assert.Contains("version = 2", Render("1.35.7", pins).Content("etc/containerd/config.toml"), StringComparison.Ordinal);
        }

        [Fact]
        public void Should_leave_failCgroupV1_out_before_1_35()
        {
            // Given a release before the row's range (the table, not a template, decides)
            var resolved = new ResolvedVersions(new Dictionary<Versioned, string> { [Versioned.Kubernetes] = "1.34.4" });

            // Then
            Assert.Null(resolved.Optional("kubelet.failCgroupV1"));
            Assert.Equal("true", new ResolvedVersions(new Dictionary<Versioned, string> { [Versioned.Kubernetes] = "1.35.0" }).Optional("kubelet.failCgroupV1"));
        }
    }

    public sealed class TheEtcdAndContainerdVersions
    {
        [Theory]
        [InlineData("3.4.23", new[] { "--logger=zap", "--log-outputs=stderr", "--experimental-initial-corrupt-check=true", "--experimental-watch-progress-notify-interval=5s", "--snapshot-count=10000" })]
        [InlineData("3.5.21", new[] { "--log-outputs=stderr", "--experimental-initial-corrupt-check=true", "--experimental-watch-progress-notify-interval=5s", "--snapshot-count=10000" })]
        [InlineData("3.6.14", new[] { "--log-outputs=stderr", "--feature-gates=InitialCorruptCheck=true", "--watch-progress-notify-interval=5s" })]
        public void Should_give_each_etcd_minor_its_own_flags(string version, string[] expected)
        {
            var resolved = new ResolvedVersions(new Dictionary<Versioned, string> { [Versioned.Etcd] = version });
            Assert.Equal(expected, resolved.FlagsFor("etcd"));
        }

        [Fact]
        public void Should_render_no_experimental_or_removed_flag_for_etcd_3_6_and_no_3_6_flag_for_3_4()
        {
            var spec = RenderFixture.Inventory(Ips, "1.35.7");
            var v36 = RenderFixture.Render(spec, RenderFixture.ShippedPins, spec.Nodes[0]).Content("etc/systemd/system/etcd.service");
            var v34 = RenderFixture.Render(spec, RenderFixture.DebianPins, spec.Nodes[0]).Content("etc/systemd/system/etcd.service");
            Assert.DoesNotContain("--experimental-", v36, StringComparison.Ordinal);
            Assert.DoesNotContain("--enable-v2", v36, StringComparison.Ordinal);
            Assert.DoesNotContain("--logger=", v36, StringComparison.Ordinal);
            Assert.Contains("  --feature-gates=InitialCorruptCheck=true \\\n", v36, StringComparison.Ordinal);
            Assert.DoesNotContain("--feature-gates", v34, StringComparison.Ordinal);
            Assert.Contains("  --logger=zap \\\n", v34, StringComparison.Ordinal);
            Assert.EndsWith("--election-timeout=2000\nRestart=on-failure", v36[..(v36.IndexOf("Restart=on-failure", StringComparison.Ordinal) + "Restart=on-failure".Length)], StringComparison.Ordinal);
        }

        [Theory]
        [InlineData("1.6.20", "containerd/config.v2.toml.scriban", "bin_dir")]
        [InlineData("1.7.27", "containerd/config.v2.toml.scriban", "bin_dir")]
        [InlineData("2.0.5", "containerd/config.v3.toml.scriban", "bin_dir")]
        [InlineData("2.3.4", "containerd/config.v3.toml.scriban", "bin_dirs")]
        public void Should_choose_the_containerd_config_format_by_major(string version, string template, string cniKey)
        {
            var resolved = new ResolvedVersions(new Dictionary<Versioned, string> { [Versioned.Containerd] = version });
            Assert.Equal(template, resolved.Setting("containerd.configTemplate"));
            Assert.Equal(cniKey, resolved.Setting("containerd.cniBinKey"));
        }

        [Fact]
        public void Should_say_which_setting_is_missing_for_an_unsupported_version()
        {
            var resolved = new ResolvedVersions(new Dictionary<Versioned, string> { [Versioned.Containerd] = "1.4.0" });
            var error = Assert.Throws<InputException>(() => resolved.Setting("containerd.configTemplate"));
            Assert.Contains("containerd.configTemplate", error.Message, StringComparison.Ordinal);
            Assert.Contains("1.4.0", error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_have_parseable_ranges_and_a_reason_on_every_row()
        {
            foreach (var rule in VersionTable.Flags.Concat(VersionTable.Settings))
            {
                Assert.NotNull(VersionRange.Parse(rule.Range));
                Assert.False(string.IsNullOrWhiteSpace(rule.Why), $"{rule.Key} {rule.Range} has no reason");
            }
        }
    }

    public sealed class TheProxyMode
    {
        [Fact]
        public void Should_load_ipvs_modules_and_warn_only_in_ipvs_mode()
        {
            // Given
            var pins = RenderFixture.ShippedPins;
            var ipvs = RenderFixture.Inventory(Ips, "1.36.3", proxyMode: "ipvs");
            var nft = RenderFixture.Inventory(Ips, "1.36.3", proxyMode: "nftables");

            // When
            var ipvsFiles = RenderFixture.Render(ipvs, pins, ipvs.Nodes[0]);
            var nftFiles = RenderFixture.Render(nft, pins, nft.Nodes[0]);

            // Then
            Assert.Contains("ip_vs_rr", ipvsFiles.Content("etc/modules-load.d/kubernetes.conf"), StringComparison.Ordinal);
            Assert.DoesNotContain("ip_vs", nftFiles.Content("etc/modules-load.d/kubernetes.conf"), StringComparison.Ordinal);
            Assert.Contains("mode: ipvs\nipvs:\n  scheduler: rr", ipvsFiles.Content("etc/kubernetes/kube-proxy.yaml"), StringComparison.Ordinal);
            Assert.Contains("mode: nftables\nnftables:", nftFiles.Content("etc/kubernetes/kube-proxy.yaml"), StringComparison.Ordinal);
            Assert.Contains(ModelBuilder.Warnings(ipvs, pins), w => w.Contains("deprecated", StringComparison.Ordinal));
            Assert.Empty(ModelBuilder.Warnings(nft, pins));
        }

        [Fact]
        public void Should_reject_an_unknown_mode_naming_the_field()
        {
            var spec = RenderFixture.Inventory(Ips, "1.36.3", proxyMode: "userspace");
            var error = Assert.Throws<InputException>(() => RenderFixture.Render(spec, RenderFixture.ShippedPins, spec.Nodes[0]));
            Assert.Contains("network.proxyMode", error.Message, StringComparison.Ordinal);
        }
    }

    public sealed class TheTemplates
    {
        [Theory]
        [InlineData("{{ crictl.timeout_seconds }}")]
        [InlineData("{{ paths.no_such_path }}")]
        public void Should_fail_on_an_unknown_variable_naming_the_template_file_and_line(string use)
        {
            // Given: a copy of templates/ where crictl.yaml uses a variable the model does not have, on line 3
            using var temp = new TempDirectory("kag-render");
            CopyDirectory(RenderFixture.Templates, temp.Path);
            var crictl = Path.Combine(temp.Path, "containerd", "crictl.yaml.scriban");
            File.WriteAllText(crictl, "# test\nruntime-endpoint: x\ntimeout: " + use + "\n");
            var spec = RenderFixture.Inventory(Ips, "1.36.3");

            // When
            var error = Assert.Throws<InputException>(() =>
                new NodeRenderer(spec, RenderFixture.ShippedPins, RenderFixture.Options() with { TemplatesDir = temp.Path }).Render(spec.Nodes[0]));

            // Then
            Assert.Contains($"{crictl}:3:", error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_fail_when_the_staged_Calico_manifest_is_missing_and_say_to_run_Fetch()
        {
            var spec = RenderFixture.Inventory(Ips, "1.36.3");
            var options = RenderFixture.Options() with { CalicoManifest = "/nonexistent/payload/addons/calico.yaml" };
            var error = Assert.Throws<InputException>(() => RenderFixture.Render(spec, RenderFixture.ShippedPins, spec.Nodes[0], options));
            Assert.Contains("/nonexistent/payload/addons/calico.yaml", error.Message, StringComparison.Ordinal);
            Assert.Contains("Fetch", error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_give_each_role_its_files()
        {
            var spec = RenderFixture.Parse(File.ReadAllText(Repo.File("cluster.yaml")).Replace("roles: [etcd, control-plane, worker]\n  - name: k8s-03", "roles: [worker]\n  - name: k8s-03", StringComparison.Ordinal));
            var worker = RenderFixture.Render(spec, RenderFixture.ShippedPins, spec.Nodes[1]).Select(f => f.Path).ToList();
            Assert.Contains("var/lib/kubelet/config.yaml", worker);
            Assert.Contains("etc/systemd/system/kube-nginx.service", worker);
            Assert.DoesNotContain("etc/systemd/system/etcd.service", worker);
            Assert.DoesNotContain("etc/systemd/system/kube-apiserver.service", worker);
            Assert.DoesNotContain("addons/calico.yaml", worker);
        }

        [Fact]
        public void Should_use_every_template_in_the_catalog_or_the_version_table()
        {
            // the node files' catalog, the version table, and the Ansible rollout's own table (Deploy)
            var referenced = FileCatalog.Files.Select(f => f.Template).OfType<string>()
                .Concat(VersionTable.Settings.Where(r => r.Key == "containerd.configTemplate").Select(r => r.Value))
                .Concat(KubeAirgap.Deploy.DeployWriter.Files.Select(f => f.Template))
                .ToHashSet(StringComparer.Ordinal);
            var present = Directory.EnumerateFiles(RenderFixture.Templates, "*.scriban", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(RenderFixture.Templates, f).Replace('\\', '/'))
                .ToHashSet(StringComparer.Ordinal);
            Assert.Equal(present.Order(StringComparer.Ordinal), referenced.Order(StringComparer.Ordinal));
        }

        private static void CopyDirectory(string from, string to)
        {
            foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(to, Path.GetRelativePath(from, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
        }
    }

    private static IReadOnlyList<RenderedFile> Render(string version, KubeAirgap.Pins.PinsFile pins)
    {
        var spec = RenderFixture.Inventory(Ips, version);
        return RenderFixture.Render(spec, pins, spec.Nodes[0]);
    }
}
