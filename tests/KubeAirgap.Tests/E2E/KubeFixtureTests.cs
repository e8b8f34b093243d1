using KubeAirgap.Tests.E2E.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.E2E;

/// <summary>
/// The contract fixtures that stand in for the Kubernetes binaries in the VM test: they must refuse what the real
/// binary refuses and do the network part for real (real etcd 3.4 with mTLS, real kubectl).
/// </summary>
public sealed class KubeFixtureTests
{
    [Trait(TestCategory.Name, TestCategory.FixtureSelfTest)]
    public sealed class TheFlagCheck
    {
        [Fact]
        public void Should_reject_a_flag_the_pinned_version_does_not_have()
        {
            // Given
            using var world = new KubeFixtureWorld();
            var flags = world.ApiServerFlags();
            flags.Add("--insecure-port=8080");

            // When
            var result = world.Run("kube-apiserver", flags);

            // Then
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("unknown flag: --insecure-port", result.Stderr, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_reject_a_non_boolean_value_for_a_boolean_flag()
        {
            using var world = new KubeFixtureWorld();
            var flags = world.ApiServerFlags();
            flags.Add("--allow-privileged=yes");

            var result = world.Run("kube-apiserver", flags);

            Assert.Equal(1, result.ExitCode);
            Assert.Contains("invalid boolean for --allow-privileged", result.Stderr, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_reject_a_kubelet_flag_removed_in_1_35()
        {
            using var world = new KubeFixtureWorld();

            var result = world.Run("kubelet", ["--pod-infra-container-image=registry.k8s.io/pause:3.10"]);

            Assert.Equal(1, result.ExitCode);
            Assert.Contains("unknown flag: --pod-infra-container-image", result.Stderr, StringComparison.Ordinal);
        }
    }

    [Trait(TestCategory.Name, TestCategory.FixtureSelfTest)]
    public sealed class TheFileCheck
    {
        [Fact]
        public void Should_reject_a_private_key_that_others_can_read()
        {
            // Given
            using var world = new KubeFixtureWorld();
            Cmd.Run("chmod", "0644", world.Pki("apiserver.key")).EnsureSuccess("chmod");

            // When
            var result = world.Run("kube-apiserver", world.ApiServerFlags());

            // Then
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("apiserver.key holds a secret but has mode 0644", result.Stderr, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_reject_a_certificate_and_a_key_that_are_not_pem_checked_in_process()
        {
            // Given: a certificate and a key (with its certificate beside it) that are not PEM
            using var world = new KubeFixtureWorld();
            File.WriteAllText(world.Pki("apiserver.crt"), "not a certificate\n");
            File.WriteAllText(world.Pki("apiserver-etcd-client.key"), "not a key\n");
            Cmd.Run("chmod", "0600", world.Pki("apiserver-etcd-client.key")).EnsureSuccess("chmod");

            // When
            var result = world.Run("kube-apiserver", world.ApiServerFlags());

            // Then: both named, as openssl x509 / pkey would have refused them
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("apiserver.crt: not a PEM certificate", result.Stderr, StringComparison.Ordinal);
            Assert.Contains("apiserver-etcd-client.key: not a PEM private key", result.Stderr, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_reject_a_missing_file_and_name_the_flag()
        {
            using var world = new KubeFixtureWorld();
            var flags = world.ApiServerFlags();
            flags.Add("--audit-policy-file=/nonexistent/audit-policy.yaml");

            var result = world.Run("kube-apiserver", flags);

            Assert.Equal(1, result.ExitCode);
            Assert.Contains("--audit-policy-file /nonexistent/audit-policy.yaml: no such file", result.Stderr, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_reject_a_config_field_removed_from_the_scheduler_v1_api()
        {
            // Given: healthzBindAddress existed in v1alpha1 and is gone from kubescheduler.config.k8s.io/v1
            using var world = new KubeFixtureWorld();
            var config = world.Write("kube-scheduler.yaml",
                $"apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nclientConnection:\n  kubeconfig: {world.Pki("controller-manager.conf")}\nhealthzBindAddress: 0.0.0.0:10251\n");

            // When
            var result = world.Run("kube-scheduler", [$"--config={config}"]);

            // Then
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("unknown field(s) for kubescheduler.config.k8s.io/v1 KubeSchedulerConfiguration: healthzBindAddress", result.Stderr, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_reject_an_old_api_version_of_the_kubelet_config()
        {
            using var world = new KubeFixtureWorld();
            var config = world.Write("kubelet.yaml", "apiVersion: kubelet.config.k8s.io/v1alpha1\nkind: KubeletConfiguration\n");

            var result = world.Run("kubelet", [$"--config={config}", $"--kubeconfig={world.Pki("admin.conf")}"]);

            Assert.Equal(1, result.ExitCode);
            Assert.Contains("apiVersion/kind is kubelet.config.k8s.io/v1alpha1/KubeletConfiguration", result.Stderr, StringComparison.Ordinal);
        }
    }

    [Trait(TestCategory.Name, TestCategory.FixtureSelfTest)]
    public sealed class TheNetworkPart
    {
        [Fact]
        public void Should_serve_health_to_cluster_clients_only_after_writing_to_etcd()
        {
            // Given
            using var world = new KubeFixtureWorld();
            world.StartEtcd();

            // When
            var api = world.Start(world.Bin("kube-apiserver"), world.ApiServerFlags());
            api.WaitUntil(() => Ports.IsOpen(world.Address, world.ApiPort), TimeSpan.FromSeconds(30), "apiserver listening");

            // Then: kubectl with the admin kubeconfig gets ok from all three endpoints
            foreach (var endpoint in new[] { "/healthz", "/livez", "/readyz" })
            {
                var kubectl = Cmd.Run("kubectl", ["--kubeconfig", world.Pki("admin.conf"), "get", "--raw", endpoint], stdin: string.Empty);
                Assert.True(kubectl.ExitCode == 0, kubectl.Output);
                Assert.Equal("ok", kubectl.Stdout.Trim());
            }

            // and a client without a certificate, or with one from another CA, is refused at the TLS handshake
            var anonymous = Cmd.Run("curl", ["-sS", "--cacert", world.Pki("ca.crt"), $"https://{world.Address}:{world.ApiPort}/healthz"]);
            Assert.NotEqual(0, anonymous.ExitCode);
            var stranger = Cmd.Run("curl", ["-sS", "--cacert", world.Pki("ca.crt"), "--cert", world.Pki("stranger.crt"), "--key", world.Pki("stranger.key"), $"https://{world.Address}:{world.ApiPort}/healthz"]);
            Assert.NotEqual(0, stranger.ExitCode);

            // and the key it wrote is in etcd
            var get = Cmd.Run("etcdctl", ["--endpoints", world.EtcdUrl, "--cacert", world.Pki("etcd-ca.crt"), "--cert", world.Pki("apiserver-etcd-client.crt"),
                "--key", world.Pki("apiserver-etcd-client.key"), "get", "--prefix", "/registry/kube-airgap-fixture/"]);
            Assert.True(get.ExitCode == 0, get.Output);
            Assert.Contains("written at", get.Stdout, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_store_applied_add_ons_in_etcd_and_report_a_second_apply_unchanged()
        {
            // Given
            using var world = new KubeFixtureWorld();
            world.StartEtcd();
            var api = world.Start(world.Bin("kube-apiserver"), world.ApiServerFlags());
            api.WaitUntil(() => Ports.IsOpen(world.Address, world.ApiPort), TimeSpan.FromSeconds(30), "apiserver listening");
            var manifest = Repo.File("tests", "fixtures", "kube", "calico.yaml");

            // When
            var first = Cmd.Run("kubectl", ["--kubeconfig", world.Pki("admin.conf"), "apply", "-f", manifest], stdin: string.Empty);
            var second = Cmd.Run("kubectl", ["--kubeconfig", world.Pki("admin.conf"), "apply", "-f", manifest], stdin: string.Empty);

            // Then
            Assert.True(first.ExitCode == 0, first.Output + api.Output);
            Assert.Contains("configmap/calico-config created", first.Stdout, StringComparison.Ordinal);
            Assert.True(second.ExitCode == 0, second.Output);
            Assert.Contains("configmap/calico-config unchanged", second.Stdout, StringComparison.Ordinal);
            var stored = Cmd.Run("etcdctl", ["--endpoints", world.EtcdUrl, "--cacert", world.Pki("etcd-ca.crt"), "--cert", world.Pki("apiserver-etcd-client.crt"),
                "--key", world.Pki("apiserver-etcd-client.key"), "get", "--print-value-only", "/registry/core/configmaps/kube-system/calico-config"]);
            Assert.Contains("\"calico_backend\": \"bird\"", stored.Stdout, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_fail_loudly_when_etcd_refuses_its_client_certificate()
        {
            // Given: the etcd client key pair is swapped for one signed by the cluster CA, which etcd does not trust
            using var world = new KubeFixtureWorld();
            world.StartEtcd();
            var flags = world.ApiServerFlags()
                .Select(f => f.Replace("apiserver-etcd-client", "admin", StringComparison.Ordinal)).ToList();

            // When
            var result = world.Run("kube-apiserver", flags, startupTimeoutSeconds: 3);

            // Then
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("cannot use etcd with --etcd-certfile", result.Stderr, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_let_the_controller_manager_reach_the_apiserver_with_its_kubeconfig()
        {
            // Given
            using var world = new KubeFixtureWorld();
            world.StartEtcd();
            var api = world.Start(world.Bin("kube-apiserver"), world.ApiServerFlags());
            api.WaitUntil(() => Ports.IsOpen(world.Address, world.ApiPort), TimeSpan.FromSeconds(30), "apiserver listening");
            var port = Ports.Free(world.Address);

            // When
            var kcm = world.Start(world.Bin("kube-controller-manager"),
                [$"--kubeconfig={world.Pki("controller-manager.conf")}", $"--bind-address={world.Address}", $"--secure-port={port}", "--leader-elect=true", "--v=2"]);

            // Then
            kcm.WaitUntil(() => kcm.Output.Contains("healthz ok", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "apiserver reached");
            kcm.WaitUntil(() => Ports.IsOpen(world.Address, port), TimeSpan.FromSeconds(10), "secure port open");
        }

        [Fact]
        public void Should_make_the_controller_manager_exit_when_no_apiserver_answers()
        {
            // Given: nothing listens on the kubeconfig's server
            using var world = new KubeFixtureWorld();

            // When
            var result = world.Run("kube-controller-manager", [$"--kubeconfig={world.Pki("controller-manager.conf")}", "--secure-port=0"], startupTimeoutSeconds: 3);

            // Then
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("cannot reach the apiserver with", result.Stderr, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_make_the_kubelet_exit_when_the_container_runtime_socket_is_missing()
        {
            using var world = new KubeFixtureWorld();
            var config = world.Write("kubelet.yaml",
                "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncontainerRuntimeEndpoint: unix:///nonexistent/containerd.sock\nfailSwapOn: false\n");

            var result = world.Run("kubelet", [$"--config={config}", $"--kubeconfig={world.Pki("admin.conf")}"], startupTimeoutSeconds: 2);

            Assert.Equal(1, result.ExitCode);
            Assert.Contains("container runtime socket /nonexistent/containerd.sock does not exist", result.Stderr, StringComparison.Ordinal);
        }
    }
}
