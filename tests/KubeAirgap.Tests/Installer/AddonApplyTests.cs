namespace KubeAirgap.Tests.Installer;

/// <summary>
/// lib/services.sh apply_addons with a kubectl stub that keeps the kube-system/kube-airgap-addons record: any
/// control-plane node applies (server-side, field manager kube-airgap) when the cluster's record differs from its
/// add-ons' hash, through its own apiserver; the others see the record and skip; admin.conf without rights waits
/// for the first node's super-admin.conf.
/// </summary>
public sealed class AddonApplyTests
{
    private static string Kubectl(NodeShell shell, string state) => $$"""
        echo "kubectl $*" >>'{{shell.Calls}}'
        case "$*" in
            *"get configmap kube-airgap-addons"*) cat '{{state}}/record' 2>/dev/null || exit 1 ;;
            *"auth can-i"*) cat '{{state}}/can-i' 2>/dev/null || echo no ;;
            *"create configmap"*) for a; do case "$a" in --from-literal=sha256=*) echo "sha256: ${a#--from-literal=sha256=}" ;; esac; done ;;
            *"apply"*"-f -"*) sed -n 's/^sha256: //p' >'{{state}}/record' ;;
        esac
        """;

    private static string Body(NodeShell shell, string superAdmin) =>
        $"KA_ADDONS_DIR='{shell.Fake}/addons'; KA_SUPER_ADMIN_KUBECONFIG='{superAdmin}'; KA_ADMIN_KUBECONFIG='{shell.Fake}/admin.conf'; " +
        "retire_super_admin() { echo \"retire super-admin.conf\"; }; apply_addons";

    [Fact]
    public void Any_control_plane_node_applies_changed_addons_server_side_and_the_others_skip()
    {
        using var cluster = new NodeShell();
        var state = Directory.CreateDirectory(Path.Combine(cluster.Fake, "cluster")).FullName;
        using var n02 = new NodeShell("n02");
        using var n03 = new NodeShell("n03");
        foreach (var shell in new[] { cluster, n02, n03 })
        {
            shell.Tool("kubectl", Kubectl(cluster, state));
            Directory.CreateDirectory(Path.Combine(shell.Fake, "addons"));
            File.WriteAllText(Path.Combine(shell.Fake, "addons", "coredns.yaml"), "kind: Deployment\n");
        }

        // n02 (no super-admin.conf; admin.conf already bound) finds its apiserver ready first and applies
        File.WriteAllText(Path.Combine(state, "can-i"), "yes\n");
        var first = n02.Run(Body(n02, "/nonexistent/super-admin.conf"));
        Assert.True(first.ExitCode == 0, first.Output);
        var apply = Assert.Single(cluster.CallLines, l => l.Contains(" apply ", StringComparison.Ordinal) && l.Contains(" -R ", StringComparison.Ordinal));
        Assert.Contains("--server https://127.0.1.2:6443", apply, StringComparison.Ordinal);
        Assert.Contains("apply --server-side --force-conflicts --field-manager=kube-airgap -R -f", apply, StringComparison.Ordinal);
        Assert.Contains("add-ons: applied by n02", first.Stdout, StringComparison.Ordinal);
        Assert.Contains("retire super-admin.conf", first.Stdout, StringComparison.Ordinal);

        // n03 with the same add-ons: the cluster's record says they are applied
        cluster.ClearCalls();
        var second = n03.Run(Body(n03, "/nonexistent/super-admin.conf"));
        Assert.True(second.ExitCode == 0, second.Output);
        Assert.Contains("add-ons: already applied", second.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(cluster.CallLines, l => l.Contains(" apply ", StringComparison.Ordinal));

        // a bundle with changed add-ons is applied again
        File.WriteAllText(Path.Combine(n03.Fake, "addons", "coredns.yaml"), "kind: Deployment\nspec: {}\n");
        var changed = n03.Run(Body(n03, "/nonexistent/super-admin.conf"));
        Assert.True(changed.ExitCode == 0, changed.Output);
        Assert.Contains(cluster.CallLines, l => l.Contains("--field-manager=kube-airgap -R -f", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_rights_yet_a_node_leaves_the_addons_to_the_first_control_plane_node()
    {
        using var shell = new NodeShell("n02");
        var state = Directory.CreateDirectory(Path.Combine(shell.Fake, "cluster")).FullName;
        shell.Tool("kubectl", Kubectl(shell, state));
        Directory.CreateDirectory(Path.Combine(shell.Fake, "addons"));
        File.WriteAllText(Path.Combine(shell.Fake, "addons", "rbac.yaml"), "kind: ClusterRoleBinding\n");

        var run = shell.Run(Body(shell, "/nonexistent/super-admin.conf"));

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("the first control-plane node (n01) applies them with super-admin.conf", run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(shell.CallLines, l => l.Contains(" apply ", StringComparison.Ordinal));

        // the first node uses its super-admin.conf, which needs no binding
        using var first = new NodeShell("n01");
        first.Tool("kubectl", Kubectl(shell, state));
        var superAdmin = Path.Combine(first.Fake, "super-admin.conf");
        File.WriteAllText(superAdmin, "# kubeconfig\n");
        Directory.CreateDirectory(Path.Combine(first.Fake, "addons"));
        File.WriteAllText(Path.Combine(first.Fake, "addons", "rbac.yaml"), "kind: ClusterRoleBinding\n");
        var applied = first.Run(Body(first, superAdmin));
        Assert.True(applied.ExitCode == 0, applied.Output);
        Assert.Contains(shell.CallLines, l => l.Contains($"--kubeconfig {superAdmin}", StringComparison.Ordinal) && l.Contains("--server-side", StringComparison.Ordinal));
    }
}

/// <summary>The apiserver fixture takes kubectl's server-side apply, which the installer uses for add-ons (a PATCH that creates a missing object).</summary>
public sealed class ServerSideApplyFixtureTests
{
    [Fact]
    public void Server_side_apply_creates_then_updates_the_addons_through_the_apiserver_fixture()
    {
        using var world = new KubeAirgap.Tests.E2E.Fixtures.KubeFixtureWorld();
        world.StartEtcd();
        var api = world.Start(world.Bin("kube-apiserver"), world.ApiServerFlags());
        api.WaitUntil(() => KubeAirgap.Tests.Support.Ports.IsOpen(world.Address, world.ApiPort), TimeSpan.FromSeconds(30), "apiserver listening");
        var manifest = KubeAirgap.Tests.Support.Repo.File("tests", "fixtures", "kube", "calico.yaml");
        string[] apply = ["--kubeconfig", world.Pki("admin.conf"), "apply", "--server-side", "--force-conflicts", "--field-manager=kube-airgap", "-f", manifest];

        var first = KubeAirgap.Tests.Support.Cmd.Run("kubectl", apply, stdin: string.Empty);
        var second = KubeAirgap.Tests.Support.Cmd.Run("kubectl", apply, stdin: string.Empty);

        Assert.True(first.ExitCode == 0, first.Output + api.Output);
        Assert.Contains("configmap/calico-config serverside-applied", first.Stdout, StringComparison.Ordinal);
        Assert.True(second.ExitCode == 0, second.Output);
        var stored = KubeAirgap.Tests.Support.Cmd.Run("etcdctl", ["--endpoints", world.EtcdUrl, "--cacert", world.Pki("etcd-ca.crt"), "--cert", world.Pki("apiserver-etcd-client.crt"),
            "--key", world.Pki("apiserver-etcd-client.key"), "get", "--print-value-only", "/registry/core/configmaps/kube-system/calico-config"]);
        Assert.Contains("\"calico_backend\": \"bird\"", stored.Stdout, StringComparison.Ordinal);
    }
}
