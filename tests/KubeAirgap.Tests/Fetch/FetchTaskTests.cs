using Build;
using Build.Tasks;
using Cake.Frosting;
using KubeAirgap.Fetch;
using KubeAirgap.Tests.Fetch.Fixtures;
using KubeAirgap.Tests.Host;

namespace KubeAirgap.Tests.Fetch;

/// <summary>The Fetch task through the build host, as build.sh runs it, against a loopback mirror and a TEST pins file.</summary>
[Collection(nameof(HostCollection))]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FetchTaskTests
{
    private static (int ExitCode, string Output) Run(string workingDirectory, params string[] args)
    {
        var console = new FakeConsole();
        var host = new CakeHost().UseContext<BuildContext>();
        host.Options.TaskTypes = [typeof(ValidateTask), typeof(FetchTask)];
        host.Options.Console = console;
        var exitCode = host.Run([.. args, $"--working={workingDirectory}", "--fetch_progress=plain", "--fetch_retries=1", "--fetch_retrydelayseconds=0"]);
        return (exitCode, console.All);
    }

    private static void WriteInventory(FetchWorld w)
    {
        var cluster = File.ReadAllText(Support.Repo.File("cluster.yaml"))
            .Replace("kubernetesVersion: 1.36.3", $"kubernetesVersion: {FetchWorld.Kubernetes}", StringComparison.Ordinal)
            .Replace("roles: [etcd, control-plane, worker]", "roles: [etcd, control-plane]", StringComparison.Ordinal);
        var lastNode = cluster.LastIndexOf("arch: amd64", StringComparison.Ordinal);
        cluster = cluster[..lastNode] + "arch: arm64" + cluster[(lastNode + "arch: amd64".Length)..];
        w.Temp.Write("cluster.yaml", cluster);
        w.Temp.Write("pins.yaml", w.PinsYaml());
        w.Temp.Write("cake.config", "[Paths]\nCache=cache\nArtifacts=out\nState=state\n");
    }

    [Fact]
    public async Task Fetch_Should_Stage_Every_Payload_And_Then_Work_Offline()
    {
        // Given
        await using var w = await FetchWorld.StartAsync();
        WriteInventory(w);

        // When
        var (exitCode, output) = Run(w.Temp.Path, "--target=Fetch");

        // Then
        Assert.True(exitCode == 0, output);
        var amd = w.Temp.Combine("out", "demo", "payload", "amd64-etcd+control-plane");
        var arm = w.Temp.Combine("out", "demo", "payload", "arm64-etcd+control-plane");
        Assert.Equal("etcd arm64", File.ReadAllText(Path.Combine(arm, "bin", "etcd")));
        Assert.Contains("kube-scheduler amd64", File.ReadAllText(Path.Combine(amd, "bin", "kube-scheduler")), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(amd, "addons", "calico.yaml")));
        Assert.Equal(w.Key.Fingerprint, StagedSource.Read(arm, "nginx").SignedBy);
        Assert.Contains("GET " + w.Server.Url("etcd/etcd-v9.9.9-linux-arm64.tar.gz"), output, StringComparison.Ordinal);
        Assert.Matches(@"etcd\s+9\.9\.9\s+arm64\s+\S+ \S+\s+http://127\.0\.0\.1", output);
        Assert.DoesNotContain("\u001b[", output, StringComparison.Ordinal);

        // When: again, offline
        var (offlineExit, offline) = Run(w.Temp.Path, "--target=Fetch", "--offline");

        // Then: everything from the cache, payloads unchanged
        Assert.True(offlineExit == 0, offline);
        Assert.Contains("payload arm64-etcd+control-plane: unchanged", offline, StringComparison.Ordinal);
        Assert.Matches(@"etcd\s+9\.9\.9\s+arm64\s+\S+ \S+\s+cache", offline);
    }

    [Fact]
    public async Task Fetch_Offline_Should_Fail_Listing_Every_Missing_Artifact()
    {
        // Given
        await using var w = await FetchWorld.StartAsync();
        WriteInventory(w);

        // When
        var (exitCode, output) = Run(w.Temp.Path, "--target=Fetch", "--offline");

        // Then
        Assert.NotEqual(0, exitCode);
        Assert.Contains("--offline: 12 artifact(s) are not in the cache", output, StringComparison.Ordinal);
        Assert.Contains("etcd 9.9.9 arm64", output, StringComparison.Ordinal);
        Assert.Contains("nginx 1.0.0 noarch", output, StringComparison.Ordinal);
        Assert.Empty(w.Server.Requests);
    }

    [Fact]
    public async Task Two_Builds_In_Separate_Processes_Should_Share_One_Cache()
    {
        // Given: two build processes started together, same cache, different output directories
        await using var w = await FetchWorld.StartAsync();
        WriteInventory(w);
        var build = Path.Combine(AppContext.BaseDirectory, "Build.dll");
        var environment = new Dictionary<string, string> { ["NO_COLOR"] = "1" };
        string[] Args(string output) => [build, $"--working={w.Temp.Path}", "--target=Fetch", $"--paths_artifacts={output}", "--fetch_progress=plain", "--fetch_parallelism=2"];

        // When
        var runs = await Task.WhenAll(
            Task.Run(() => Support.Cmd.Run("dotnet", Args("out1"), w.Temp.Path, environment, timeout: TimeSpan.FromMinutes(2))),
            Task.Run(() => Support.Cmd.Run("dotnet", Args("out2"), w.Temp.Path, environment, timeout: TimeSpan.FromMinutes(2))));

        // Then: both succeed, stage identical payloads, and each artifact crossed the network once
        Assert.All(runs, r => Assert.True(r.ExitCode == 0, r.Output));
        foreach (var file in new[] { "bin/etcd", "bin/kubectl", "addons/calico.yaml", "sources/nginx.json" })
        {
            Assert.True(File.Exists(w.Temp.Combine("out1", "demo", "payload", "arm64-etcd+control-plane", file)), file);
            Assert.Equal(
                File.ReadAllBytes(w.Temp.Combine("out1", "demo", "payload", "amd64-etcd+control-plane", file)),
                File.ReadAllBytes(w.Temp.Combine("out2", "demo", "payload", "amd64-etcd+control-plane", file)));
        }

        foreach (var path in w.Files.Keys.Where(p => !p.EndsWith(".asc", StringComparison.Ordinal)))
        {
            Assert.Single(w.Server.RequestsFor(path), r => r.Status is 200 or 206);
        }

        Assert.Empty(Directory.GetFiles(w.Temp.Combine("cache", "tmp"), "*.part"));
    }
}
