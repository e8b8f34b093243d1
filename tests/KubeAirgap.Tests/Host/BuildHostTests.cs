using Build;
using Build.Tasks;
using Cake.Frosting;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Host;

/// <summary>The real build tasks, run through the host as build.sh runs them.</summary>
[Collection(nameof(HostCollection))]
public sealed class BuildHostTests
{
    private static (int ExitCode, string Output) Run(string workingDirectory, params string[] args)
    {
        var console = new FakeConsole();
        var host = new CakeHost().UseContext<BuildContext>();
        host.Options.TaskTypes = [typeof(ValidateTask), typeof(Build.Tasks.CleanTask)];
        host.Options.Console = console;
        var exitCode = host.Run([.. args, $"--working={workingDirectory}"]);
        return (exitCode, console.All);
    }

    [Fact]
    public void Validate_Should_Succeed_On_The_Shipped_Inventory()
    {
        var (exitCode, output) = Run(Repo.Root, "--target=Validate");

        Assert.True(exitCode == 0, output);
        Assert.Contains("Cluster demo: Kubernetes 1.36.3, 3 node(s)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_Should_Print_Every_Problem_With_Its_Location_And_Fail()
    {
        using var temp = new TempDirectory();
        var broken = File.ReadAllText(Repo.File("cluster.yaml"))
            .Replace("ip: 192.168.93.47", "ip: 192.168.93.300", StringComparison.Ordinal)
            .Replace("podCidr: 172.30.0.0/16", "podCidr: 10.254.0.0/24", StringComparison.Ordinal);
        var path = temp.Write("broken.yaml", broken);

        var (exitCode, output) = Run(Repo.Root, "--target=Validate", $"--cluster={path}");

        Assert.NotEqual(0, exitCode);
        Assert.Contains($"broken.yaml:{LineOf(broken, "podCidr: 10.254.0.0/24")}:12 network.podCidr: 10.254.0.0/24 overlaps the service CIDR 10.254.0.0/16", output, StringComparison.Ordinal);
        Assert.Contains($"broken.yaml:{LineOf(broken, "ip: 192.168.93.300")}:9 nodes[2].ip: '192.168.93.300' is not an IPv4 or IPv6 address", output, StringComparison.Ordinal);
        Assert.Contains("Validation failed: 2 error(s)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_Should_Suggest_The_Field_And_Role_Meant_And_Name_The_File_As_Given()
    {
        // Given: a misspelt field and a misspelt role, the inventory named by an absolute path
        using var temp = new TempDirectory();
        var broken = File.ReadAllText(Repo.File("cluster.yaml"))
            .Replace("  podCidr: 172.30.0.0/16", "  podCIRD: 172.30.0.0/16", StringComparison.Ordinal)
            .Replace("roles: [etcd, control-plane, worker]\n  - name: k8s-02", "roles: [etcd, contol-plane, worker]\n  - name: k8s-02", StringComparison.Ordinal);
        var path = temp.Write("mine.yaml", broken);

        // When
        var (exitCode, output) = Run(Repo.Root, "--target=Validate", $"--cluster={path}");

        // Then
        Assert.NotEqual(0, exitCode);
        Assert.Contains($"{path}:{LineOf(broken, "podCIRD")}:3 network.podCIRD: unknown field; did you mean 'podCidr'?", output, StringComparison.Ordinal);
        Assert.Contains("unknown role 'contol-plane'; did you mean 'control-plane'?", output, StringComparison.Ordinal);
    }

    /// <summary>The 1-based line of the first line containing <paramref name="text"/> (the shipped inventory changes).</summary>
    private static int LineOf(string yaml, string text) =>
        yaml.Split('\n').Select((line, index) => (line, index)).First(l => l.line.Contains(text, StringComparison.Ordinal)).index + 1;

    [Fact]
    public void Clean_Should_Delete_Artifacts_And_Keep_State()
    {
        using var temp = new TempDirectory();
        temp.Write("cake.config", "[Paths]\nArtifacts=out\nState=keep\n");
        temp.Write("out/demo/file.tar.gz", "x");
        temp.Write("keep/demo/ca.key", "secret");

        var (exitCode, output) = Run(temp.Path, "--target=Clean");

        Assert.True(exitCode == 0, output);
        Assert.False(Directory.Exists(temp.Combine("out")));
        Assert.True(File.Exists(temp.Combine("keep", "demo", "ca.key")));
    }

    [Fact]
    public void Clean_Should_Refuse_When_Artifacts_Would_Contain_State()
    {
        using var temp = new TempDirectory();
        temp.Write("keep/ca.key", "secret");

        var (exitCode, output) = Run(temp.Path, "--target=Clean", "--paths_artifacts=.", "--paths_state=keep");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("overlaps the state directory", output, StringComparison.Ordinal);
        Assert.True(File.Exists(temp.Combine("keep", "ca.key")));
    }
}
