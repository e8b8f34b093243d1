using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.E2E;

/// <summary>
/// The checks the VM test runs inside its VMs (tests/e2e/tools) decide PASS or FAIL there, so they are tested here
/// first: each must fail on the state it exists to catch.
/// </summary>
public sealed class E2EToolsTests
{
    private static string Tool(string name) => Repo.File("tests", "e2e", "tools", name);

    [Trait(TestCategory.Name, TestCategory.FixtureSelfTest)]
    public sealed class CalicoAutodetection
    {
        // calico-node's rules evaluated in a network namespace shaped like a typical host: a docker bridge first
        // (lower ifindex, excluded by first-found), then the NIC udev named ens3 (a veth: no dummy module here)
        [Theory]
        [InlineData("kubernetes-internal-ip 10.77.0.11", 0, "10.77.0.11/24 ens3")]
        [InlineData("first-found", 0, "10.77.0.11/24 ens3")]
        [InlineData("cidr=10.77.0.0/24", 0, "10.77.0.11/24 ens3")]
        [InlineData("interface=en.*", 0, "10.77.0.11/24 ens3")]
        [InlineData("interface=eth0", 1, "interface=eth0: no matching address on this host")]
        [InlineData("kubernetes-internal-ip 10.77.0.99", 1, "InternalIP 10.77.0.99 is on no interface of this host")]
        public void Should_pick_what_calico_node_picks(string args, int exitCode, string output)
        {
            NeedsRoot.Check("a network namespace with an ens3 and a docker0 interface");
            var ns = $"ka-test-calico-{Environment.ProcessId}-{Guid.NewGuid():N}"[..30];
            try
            {
                Cmd.Bash($"""
                    set -e
                    ip netns add {ns}
                    ip -n {ns} link add docker0 type bridge && ip -n {ns} addr add 172.17.0.1/16 dev docker0
                    ip -n {ns} link add ens3 type veth peer name ens3-peer && ip -n {ns} addr add 10.77.0.11/24 dev ens3
                    """).EnsureSuccess("namespace setup");

                var result = Cmd.Bash($"ip netns exec {ns} {Tool("ka-calico-autodetect")} {args}");

                Assert.Equal(exitCode, result.ExitCode);
                Assert.Contains(output, result.Output, StringComparison.Ordinal);
            }
            finally
            {
                Cmd.Bash($"ip netns delete {ns}");
            }
        }
    }

    [Trait(TestCategory.Name, TestCategory.FixtureSelfTest)]
    public sealed class AddonsOnce
    {
        private const string Addons = """
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: calico-node, namespace: kube-system}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: calico-node}
            ---
            apiVersion: policy/v1
            kind: PodDisruptionBudget
            metadata: {name: calico-kube-controllers, namespace: kube-system}
            """;

        private static Cmd.Result Run(params string[] keys)
        {
            using var dir = new TempDirectory();
            dir.Write("addons/calico.yaml", Addons);
            return Cmd.Bash($"printf '%s\\n' {string.Join(' ', keys)} | python3 {Tool("addons-once.py")} {dir.Combine("addons")}");
        }

        [Fact]
        public void Should_pass_when_every_object_is_stored_once()
        {
            var result = Run(
                "/registry/core/serviceaccounts/kube-system/calico-node",
                "/registry/rbac.authorization.k8s.io/clusterrolebindings/calico-node",
                "/registry/policy/poddisruptionbudgets/kube-system/calico-kube-controllers",
                "/registry/core/configmaps/kube-system/kube-airgap-addons",
                "/registry/core/namespaces/kube-system");

            Assert.True(result.ExitCode == 0, result.Output);
            Assert.Contains("3 add-on objects", result.Output, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_fail_when_the_installers_record_of_the_apply_is_missing()
        {
            var result = Run(
                "/registry/core/serviceaccounts/kube-system/calico-node",
                "/registry/rbac.authorization.k8s.io/clusterrolebindings/calico-node",
                "/registry/policy/poddisruptionbudgets/kube-system/calico-kube-controllers");

            Assert.Equal(1, result.ExitCode);
            Assert.Contains("kube-airgap-addons (the installer's record of what it applied): 0 times", result.Output, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_fail_on_a_missing_object_and_on_a_second_copy_elsewhere()
        {
            var result = Run(
                "/registry/core/serviceaccounts/kube-system/calico-node",
                "/registry/core/serviceaccounts/default/calico-node",
                "/registry/policy/poddisruptionbudgets/kube-system/calico-kube-controllers");

            Assert.Equal(1, result.ExitCode);
            Assert.Contains("/registry/rbac.authorization.k8s.io/clusterrolebindings/calico-node: 0 times", result.Output, StringComparison.Ordinal);
            Assert.Contains("not in the add-ons: /registry/core/serviceaccounts/default/calico-node", result.Output, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// renewal-check.sh against real TLS servers on loopback (openssl s_server), with real CAs and leaves made by
    /// openssl: it reads the node's facts from the layout.env it is given (run.sh's sourced variables were never
    /// exported to it, and the VM check failed on "KA_APISERVER_ADDRESS: unbound variable"), passes on renewed and
    /// served certificates, and fails on a server that still presents the old one.
    /// </summary>
    [Trait(TestCategory.Name, TestCategory.FixtureSelfTest)]
    public sealed class RenewalCheck
    {
        private static Cmd.Result Run(bool apiserverRestarted)
        {
            using var dir = new TempDirectory();
            var ip = $"127.{Random.Shared.Next(1, 250)}.{Random.Shared.Next(1, 250)}.{Random.Shared.Next(2, 250)}";
            var served = apiserverRestarted ? "pki/apiserver" : "first/pki/apiserver";
            return Cmd.Bash($$"""
                set -euo pipefail
                cd {{dir.Path}}
                mkdir -p pki/etcd first/pki/etcd
                key() { openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; chmod 0600 "$1.key"; }
                ca() { key "$1"; openssl req -x509 -new -key "$1.key" -out "$1.crt" -subj "/CN=$2" -days 2; }
                leaf() { # OUT CA CN
                  key "$1"; openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=$3"
                  openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -set_serial "0x$(openssl rand -hex 8)" -days 1 -out "$1.crt" 2>/dev/null
                }
                ca pki/ca kubernetes; ca pki/etcd/ca etcd-ca; ca pki/front-proxy-ca front-proxy-ca
                for c in ca etcd/ca front-proxy-ca; do cp pki/$c.crt first/pki/$c.crt; done
                leaf first/pki/apiserver pki/ca kube-apiserver; leaf first/pki/etcd/server pki/etcd/ca {{ip}}
                leaf pki/apiserver pki/ca kube-apiserver; leaf pki/etcd/server pki/etcd/ca {{ip}}
                leaf pki/apiserver-kubelet-client pki/ca kube-apiserver-kubelet-client
                leaf pki/etcd/healthcheck-client pki/etcd/ca kube-etcd-healthcheck-client
                printf "KA_PKI_DIR='%s'\nKA_NODE_IP='{{ip}}'\nKA_APISERVER_ADDRESS='{{ip}}:6443'\n" "$PWD/pki" >layout.env
                openssl s_server -quiet -accept {{ip}}:6443 -cert {{served}}.crt -key {{served}}.key </dev/null >/dev/null 2>&1 & a=$!
                openssl s_server -quiet -accept {{ip}}:2379 -cert pki/etcd/server.crt -key pki/etcd/server.key </dev/null >/dev/null 2>&1 & e=$!
                trap 'kill $a $e 2>/dev/null; wait $a $e 2>/dev/null || true' EXIT
                for port in 6443 2379; do
                  for _ in $(seq 100); do (exec 3<>/dev/tcp/{{ip}}/$port) 2>/dev/null && break; sleep 0.1; done
                done
                rc=0; env -i PATH="$PATH" bash {{Tool("renewal-check.sh")}} "$PWD/layout.env" "$PWD/first" || rc=$?
                exit $rc
                """);
        }

        [Fact]
        public void Should_pass_when_both_servers_present_the_renewed_certificates_under_the_same_cas()
        {
            var result = Run(apiserverRestarted: true);

            Assert.True(result.ExitCode == 0, result.Output);
            Assert.Contains("ca.crt: unchanged", result.Output, StringComparison.Ordinal);
            Assert.Matches(@"kube-apiserver: first bundle serial=\w+, installed (serial=\w+), served \1", result.Output);
            Assert.Matches(@"etcd: first bundle serial=\w+, installed (serial=\w+), served \1", result.Output);
        }

        [Fact]
        public void Should_fail_when_the_apiserver_still_presents_the_old_certificate()
        {
            var result = Run(apiserverRestarted: false);

            Assert.Equal(1, result.ExitCode);
            Assert.Contains("not the installed", result.Output, StringComparison.Ordinal);
            Assert.Contains("(not restarted?)", result.Output, StringComparison.Ordinal);
        }
    }
}
