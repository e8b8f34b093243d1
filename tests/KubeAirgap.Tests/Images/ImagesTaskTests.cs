using Build;
using Build.Tasks;
using Cake.Frosting;
using KubeAirgap.Tests.Host;
using KubeAirgap.Tests.Images.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Images;

/// <summary>
/// The Images task through the build host, as build.sh runs it: the repository's cluster.yaml and pins.yaml, with
/// registry.k8s.io and quay.io mirrored (mirrors only) by a loopback docker-registry.
/// </summary>
[Collection(nameof(HostCollection))]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ImagesTaskTests : IDisposable
{
    private readonly TestRegistry _mirror = new();
    private readonly TempDirectory _dir = new("kag-images-task");

    public ImagesTaskTests()
    {
        _dir.Write("cluster.yaml", File.ReadAllText(Repo.File("cluster.yaml")));
        _dir.Write("cake.config", "[Paths]\nCache=cache\nArtifacts=out\nState=state\n");
        var digests = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (registry, repository) in new[]
        {
            ("registry.k8s.io", "pause:3.10.2"), ("registry.k8s.io", "coredns/coredns:v1.14.2"), ("quay.io", "calico/node:v3.31.7"),
            ("quay.io", "calico/cni:v3.31.7"), ("quay.io", "calico/kube-controllers:v3.31.7"),
        })
        {
            var (name, tag) = (repository.Split(':')[0], repository.Split(':')[1]);
            digests[$"{registry}/{repository}"] = _mirror.Push(name, tag, TestImages.Index(TestImages.Image(repository), TestImages.Image(repository + " arm64", "arm64")));
        }

        // images by digest only: the shipped pins, with each image pinned to what this test's registry serves
        _dir.Write("pins.yaml", PinnedTo(File.ReadAllText(Repo.File("pins.yaml")), digests));
    }

    /// <summary>pins.yaml with the digest line after each listed <c>ref:</c> set to the given digest.</summary>
    private static string PinnedTo(string pins, IReadOnlyDictionary<string, string> digests)
    {
        var lines = pins.Split('\n');
        string? pending = null;
        for (var i = 0; i < lines.Length; i++)
        {
            var trimmed = lines[i].Trim();
            if (trimmed.StartsWith("ref: ", StringComparison.Ordinal))
            {
                digests.TryGetValue(trimmed["ref: ".Length..].Trim(), out pending);
            }
            else if (pending is not null && trimmed.StartsWith("digest: ", StringComparison.Ordinal))
            {
                lines[i] = lines[i][..lines[i].IndexOf("digest:", StringComparison.Ordinal)] + "digest: " + pending;
                pending = null;
            }
        }

        return string.Join('\n', lines);
    }

    private string Archive => _dir.Combine("out", "demo", "payload", "amd64-etcd+control-plane+worker", "images", "images.oci.tar");

    [Fact]
    public void Images_Should_Write_One_Archive_Per_Payload_And_Keep_It_When_Nothing_Changed()
    {
        // When
        var (exitCode, output) = Run();
        var first = File.ReadAllBytes(Archive);
        var (againExit, again) = Run();

        // Then
        Assert.True(exitCode == 0, output);
        Assert.DoesNotContain("not pinned by digest", output, StringComparison.Ordinal);
        Assert.Contains("5 image(s), ", output, StringComparison.Ordinal);
        var contents = KubeAirgap.Images.Archive.OciArchiveContents.Read(Archive);
        Assert.Equal(["amd64"], contents.ArchesOf("quay.io/calico/node:v3.31.7"));
        Assert.Equal(10, contents.Names.Count);
        Assert.True(againExit == 0, again);
        Assert.Contains("up to date (5 image(s))", again, StringComparison.Ordinal);
        Assert.Equal(first, File.ReadAllBytes(Archive));
    }

    [Fact]
    public void Images_Should_Fail_Naming_The_File_And_Line_Of_An_Image_Missing_From_The_Archive()
    {
        // Given: a rendered node tree whose CNI manifest names an image nobody listed
        _dir.Write("out/demo/nodes/k8s-02/addons/calico.yaml", "spec:\n  containers:\n  - image: quay.io/calico/node:v3.31.7\n  - image: quay.io/calico/typha:v3.31.7\n");
        _dir.Write("out/demo/nodes/k8s-02/etc/containerd/config.toml", "version = 3\n[plugins.'io.containerd.cri.v1.images'.pinned_images]\n  sandbox = 'registry.k8s.io/pause:3.10.2'\n");

        // When
        var (exitCode, output) = Run();

        // Then
        Assert.NotEqual(0, exitCode);
        Assert.Contains($"{_dir.Combine("out", "demo", "nodes", "k8s-02", "addons", "calico.yaml")}:4:1 image: image quay.io/calico/typha:v3.31.7 is not in", output, StringComparison.Ordinal);
        Assert.Contains("Image completeness check failed: 1 error(s)", output, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            _mirror.Dispose();
        }
        finally
        {
            _dir.Dispose();
        }
    }

    private (int ExitCode, string Output) Run()
    {
        var console = new FakeConsole();
        var host = new CakeHost().UseContext<BuildContext>();
        host.Options.TaskTypes = [typeof(ValidateTask), typeof(FetchTask), typeof(PkiTask), typeof(RenderTask), typeof(ImagesTask)];
        host.Options.Console = console;
        var exitCode = host.Run([
            "--target=Images", "--exclusive", $"--working={_dir.Path}", "--fetch_retries=1", "--fetch_retrydelayseconds=0",
            $"--registries_mirrors=registry.k8s.io=http://{_mirror.Host} quay.io=http://{_mirror.Host}", "--registries_fallbacktoupstream=false",
        ]);
        return (exitCode, console.All);
    }
}
