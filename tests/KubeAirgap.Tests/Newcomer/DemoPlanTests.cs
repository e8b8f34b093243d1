using KubeAirgap.Cluster;
using KubeAirgap.Diagnostics;
using KubeAirgap.Roles;
using KubeAirgap.TestSupport.Harness;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Newcomer;

/// <summary>Issue 18, "Demo for anyone": what the Demo and Mirror targets plan for an inventory, what they need, and what Mirror prints.</summary>
public sealed class DemoPlanTests
{
    private static ClusterSpec Mixed()
    {
        var diagnostics = new DiagnosticBag();
        var spec = ClusterLoader.Load(Repo.File("tests", "fixtures", "e2e", "demo-cluster.yaml"), diagnostics)!;
        return spec with
        {
            Nodes =
            [
                spec.Nodes[0],
                new NodeSpec("w-arm", "192.0.2.40", "arm64", new HashSet<NodeRole> { NodeRole.Worker }),
            ],
        };
    }

    [Fact]
    public void Should_plan_every_arch_of_the_inventory_and_the_named_node()
    {
        // When
        var plan = DemoPlan.For(Mixed(), "/x/cluster.yaml", "w-arm");

        // Then
        Assert.Equal("amd64,arm64", plan.ArchList);
        Assert.Equal("w-arm", plan.Node.Name);
        Assert.Equal("arm64", plan.Node.Arch);
        Assert.Equal(2, plan.NodeCount);
        Assert.Equal("k8s-01", DemoPlan.For(Mixed(), "/x/cluster.yaml", null).Node.Name);
    }

    [Fact]
    public void Should_refuse_an_unknown_node_naming_the_nodes_and_the_closest()
    {
        var error = Assert.Throws<InputException>(() => DemoPlan.For(Mixed(), "/x/cluster.yaml", "w-arn"));
        Assert.Contains("--node=w-arn: no such node in /x/cluster.yaml (nodes: k8s-01, w-arm)", error.Message, StringComparison.Ordinal);
        Assert.Contains("did you mean 'w-arm'?", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_name_each_missing_command_file_and_arm64_package_and_the_exact_install_command()
    {
        // Given: an empty PATH and an empty dependency directory
        using var temp = new TempDirectory("kag-demo-deps");
        var deps = new DemoDependencies("/repo", temp.Path, temp.Path);

        // When
        var amd64 = deps.Missing(["amd64"]);
        var mixed = deps.Missing(["amd64", "arm64"]);

        // Then
        Assert.Contains("docker-registry (Debian package docker-registry)", amd64);
        Assert.Contains(amd64, m => m.StartsWith(Path.Combine(temp.Path, DemoDependencies.NginxSource), StringComparison.Ordinal));
        Assert.DoesNotContain(amd64, m => m.Contains("arm64", StringComparison.Ordinal));
        Assert.Contains("aarch64-linux-gnu-gcc (Debian package gcc-aarch64-linux-gnu)", mixed);
        Assert.Contains(Path.Combine(temp.Path, "arm64", "containerd") + "_*_arm64.deb (Debian's arm64 package, downloaded, not installed)", mixed);
        Assert.False(deps.CanInstall(isRoot: true));
        var message = deps.CannotInstall(amd64, isRoot: true);
        Assert.Contains("apt-get is not on PATH", message, StringComparison.Ordinal);
        Assert.Contains("sudo bash /repo/tests/install-test-deps.sh --for=demo", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_find_nothing_missing_on_a_machine_that_ran_install_test_deps()
    {
        // the test machine ran tests/install-test-deps.sh: the table must match what it installs
        var deps = new DemoDependencies(Repo.Root, "/var/cache/kube-airgap-test", Environment.GetEnvironmentVariable("PATH") ?? string.Empty);
        Assert.Empty(deps.Missing(["amd64", "arm64"]));
    }

    [Fact]
    public void Should_print_a_bundle_command_that_a_shell_reads_back_as_the_mirror_arguments()
    {
        // Given
        var plan = DemoPlan.For(Mixed(), "/x/my cluster.yaml", null);
        string[] args = ["--pins=/m/pins.yaml", "--mirrors_map=https://dl.k8s.io/ -> http://127.0.0.1:1/dl.k8s.io/", MirrorInstructions.RelaxFlag];

        // When
        var text = MirrorInstructions.Format(plan, "my cluster.yaml", inventoryGiven: true, "/m", args, ["quay.io/x/hello:1.0@sha256:ab"]);

        // Then: bash parses the printed command back into exactly these words
        var command = string.Join('\n', text.Split('\n').SkipWhile(l => !l.StartsWith("  ./build.sh", StringComparison.Ordinal))
            .TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal)));
        var words = Cmd.Bash($"set -- {command.Trim().Replace("./build.sh", string.Empty, StringComparison.Ordinal)}; printf '%s\\n' \"$@\"").EnsureSuccess("bash");
        Assert.Equal(["--target=Bundle", "--cluster=my cluster.yaml", .. args], words.Stdout.TrimEnd('\n').Split('\n'));
        Assert.Contains("containerd 2.x", text, StringComparison.Ordinal);
        Assert.Contains("install.sh refuses them unless given --test-bundle", text, StringComparison.Ordinal);
        Assert.Contains("quay.io/x/hello:1.0@sha256:ab", text, StringComparison.Ordinal);
        Assert.Contains("--target=Mirror --mirror_stop --mirror_dir=/m", text, StringComparison.Ordinal);
    }
}
